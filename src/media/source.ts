import sharp, { type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import type { FileStore } from '../storage/file-store.ts';
import { encode, MATTE } from './encode.ts';
import type { DecodeLimits } from './limits.ts';
import {
  DERIVED_VARIANTS,
  type DerivedVariant,
  EAGER_RENDITIONS,
  type ImageFormat,
  MIME_TYPES,
  variantDimensions,
  variantScale,
} from './variants.ts';

/** Of the photo as displayed (orientation and the owner's quarter turns applied). */
export interface DisplaySize {
  width: number;
  height: number;
}

/** A file renditions are cut from, and how far it is turned clockwise after its own orientation to be upright. */
export interface SourceFile {
  path: string;
  quarterTurns: number;
}

export interface Placeholder {
  /** ThumbHash, base64. */
  hash: string;
  /** CSS hex colour of the photo on the matte. */
  dominantColor: string;
}

const THUMBHASH_SIDE = 100;

/** Every variant the worker renders eagerly: it decodes once for all of them. */
export const EAGER_VARIANTS: readonly DerivedVariant[] = [...new Set(EAGER_RENDITIONS.map(([variant]) => variant))];

/** The size one decode for `variants` is made at: the largest any of them needs, never above the photo itself. */
export function baseSize(display: DisplaySize, variants: readonly DerivedVariant[]): DisplaySize {
  if (variants.length === 0) throw new Error('a decode needs at least one rendition to size it');
  const scale = Math.min(1, Math.max(...variants.map((v) => variantScale(v, display.width, display.height))));
  return { width: Math.max(1, Math.round(display.width * scale)), height: Math.max(1, Math.round(display.height * scale)) };
}

function hex(value: number): string {
  return Math.round(value).toString(16).padStart(2, '0');
}

type Origin =
  /** Decoded once into memory: every rendition is cut from these pixels. */
  | { kind: 'pixels'; data: Buffer; raw: { width: number; height: number; channels: 3 | 4 } }
  /** Not decoded yet: each rendition is one libvips pipeline from the file, decoding at its own size. */
  | { kind: 'file'; file: SourceFile; limits: DecodeLimits };

/**
 * An original, upright and in sRGB (8-bit, alpha kept when it has any), that yields
 * renditions. The worker decodes once and cuts every eager rendition and the placeholder
 * from the pixels (`decode`); the render queue makes one rendition straight from the file
 * (`open`), which lets JPEG shrink-on-load decode only what it needs. Both go through
 * `rendition` and `write`, so both apply the same crop, matte, colour handling and encoders.
 */
export class PhotoSource {
  private constructor(
    private readonly display: DisplaySize,
    private readonly origin: Origin,
  ) {}

  /** Decodes `file` once, at the base size for `variants` (see `baseSize`). */
  static async decode(
    file: SourceFile,
    display: DisplaySize,
    variants: readonly DerivedVariant[],
    limits: DecodeLimits,
  ): Promise<PhotoSource> {
    const base = baseSize(display, variants);
    const { data, info } = await PhotoSource.open(file, display, limits)
      .upright()
      .resize(base.width, base.height, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 3 && channels !== 4) throw new Error(`decoded to ${channels} channels, expected sRGB with or without alpha`);
    return new PhotoSource(display, { kind: 'pixels', data, raw: { width: info.width, height: info.height, channels } });
  }

  /** The file itself, decoded anew (and only as far as needed) for each rendition. */
  static open(file: SourceFile, display: DisplaySize, limits: DecodeLimits): PhotoSource {
    return new PhotoSource(display, { kind: 'file', file, limits });
  }

  /** The whole image as displayed: orientation applied, sRGB. */
  private upright(): Sharp {
    if (this.origin.kind === 'pixels') return sharp(this.origin.data, { raw: this.origin.raw });
    const { file, limits } = this.origin;
    return sharp(file.path, { failOn: 'none', limitInputPixels: limits.maxPixels })
      .autoOrient()
      .rotate(90 * file.quarterTurns)
      .toColourspace('srgb')
      .timeout({ seconds: limits.timeoutSeconds });
  }

  /** The rendition's pixels, not yet encoded. */
  rendition(variant: DerivedVariant): Sharp {
    const target = variantDimensions(variant, this.display.width, this.display.height);
    const origin = this.origin;
    if (origin.kind === 'pixels' && target.width === origin.raw.width && target.height === origin.raw.height) return this.upright();
    const fit = DERIVED_VARIANTS[variant].fit === 'cover' ? 'cover' : 'fill';
    return this.upright().resize(target.width, target.height, { fit, position: 'centre' });
  }

  /** Encodes one rendition into a temp file, then puts it in place whole (FileStore.write): readers see all of it or none. */
  write(variant: DerivedVariant, format: ImageFormat, destination: string, files: Pick<FileStore, 'write'>): Promise<void> {
    const image = encode(this.rendition(variant), format);
    return files.write(destination, (temp) => image.toFile(temp), MIME_TYPES[format]);
  }

  async placeholder(): Promise<Placeholder> {
    const small = await this.upright()
      .resize(THUMBHASH_SIDE, THUMBHASH_SIDE, { fit: 'inside' })
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const hash = Buffer.from(rgbaToThumbHash(small.info.width, small.info.height, small.data)).toString('base64');
    const { dominant } = await this.upright().flatten({ background: MATTE }).stats();
    return { hash, dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}` };
  }
}
