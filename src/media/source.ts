import { mkdir, rm } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { commitTempFile, tempPath } from '../storage/atomic.ts';
import { encode, MATTE } from './encode.ts';
import type { DecodeLimits } from './limits.ts';
import { DERIVED_VARIANTS, type DerivedVariant, EAGER_RENDITIONS, type ImageFormat, variantDimensions, variantScale } from './variants.ts';

/** Of the photo as displayed (orientation applied). */
export interface DisplaySize {
  width: number;
  height: number;
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

/**
 * The size the renditions of one decode are cut from: the largest any of `variants` needs,
 * never above the photo itself. A thumbnail on demand decodes small (JPEG shrink-on-load makes
 * that several times cheaper); the worker decodes once at the size of its largest rendition.
 */
export function baseSize(display: DisplaySize, variants: readonly DerivedVariant[]): DisplaySize {
  if (variants.length === 0) throw new Error('a decode needs at least one rendition to size it');
  const scale = Math.min(1, Math.max(...variants.map((v) => variantScale(v, display.width, display.height))));
  return { width: Math.max(1, Math.round(display.width * scale)), height: Math.max(1, Math.round(display.height * scale)) };
}

function hex(value: number): string {
  return Math.round(value).toString(16).padStart(2, '0');
}

/**
 * One decode of an original (upright, sRGB, 8-bit, alpha kept when it has any) that yields
 * renditions: the worker cuts all eager renditions and the placeholder from one, the render
 * queue one rendition from another; both through `write`, so both apply the same matte,
 * colour handling and encoder settings.
 */
export class PhotoSource {
  private constructor(
    private readonly display: DisplaySize,
    private readonly pixels: Buffer,
    private readonly raw: { width: number; height: number; channels: 3 | 4 },
  ) {}

  /** Decodes `file` once, at the base size for `variants` (see `baseSize`). */
  static async decode(file: string, display: DisplaySize, variants: readonly DerivedVariant[], limits: DecodeLimits): Promise<PhotoSource> {
    const base = baseSize(display, variants);
    const { data, info } = await sharp(file, { failOn: 'none', limitInputPixels: limits.maxPixels })
      .autoOrient()
      .resize(base.width, base.height, { fit: 'fill' })
      .toColourspace('srgb')
      .timeout({ seconds: limits.timeoutSeconds })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 3 && channels !== 4) throw new Error(`decoded to ${channels} channels, expected sRGB with or without alpha`);
    return new PhotoSource(display, data, { width: info.width, height: info.height, channels });
  }

  private image(): Sharp {
    return sharp(this.pixels, { raw: this.raw });
  }

  /** The rendition's pixels, not yet encoded. */
  rendition(variant: DerivedVariant): Sharp {
    const target = variantDimensions(variant, this.display.width, this.display.height);
    if (target.width === this.raw.width && target.height === this.raw.height) return this.image();
    const fit = DERIVED_VARIANTS[variant].fit === 'cover' ? 'cover' : 'fill';
    return this.image().resize(target.width, target.height, { fit, position: 'centre' });
  }

  /** Encodes one rendition into a temp file, then fsyncs and renames it into place: readers see all of it or none. */
  async write(variant: DerivedVariant, format: ImageFormat, destination: string, tempDir: string): Promise<void> {
    await mkdir(tempDir, { recursive: true });
    const temp = tempPath(tempDir);
    try {
      await encode(this.rendition(variant), format).toFile(temp);
      await commitTempFile(temp, destination);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async placeholder(): Promise<Placeholder> {
    const small = await this.image()
      .resize(THUMBHASH_SIDE, THUMBHASH_SIDE, { fit: 'inside' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const hash = Buffer.from(rgbaToThumbHash(small.info.width, small.info.height, small.data)).toString('base64');
    const { dominant } = await this.image().flatten({ background: MATTE }).stats();
    return { hash, dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}` };
  }
}
