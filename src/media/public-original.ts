import { readFile, writeFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { MATTE } from './encode.ts';
import { heifIccProfile } from './heif-boxes.ts';
import { heifDecoders } from './heif-decoder.ts';
import type { RenderLimits } from './limits.ts';
import { isHeif } from './media-type.ts';
import { turnedOrientation } from './orientation.ts';
import { NotAJpegError, stripJpegMetadata } from './strip-jpeg.ts';

/**
 * The format everyone but the admin receives ORIGINAL in: the original's own, except HEIF, which
 * no encoder here writes (sharp's libvips has no HEVC), and which becomes a full-size JPEG.
 */
export function publicOriginalFormat(original: { extension: string; mimeType: string }): { extension: string; mimeType: string } {
  const extension = publicOriginalExtension(original.extension);
  return extension === original.extension ? original : { extension, mimeType: 'image/jpeg' };
}

export function publicOriginalExtension(originalExtension: string): string {
  return isHeif(originalExtension) ? 'jpg' : originalExtension;
}

/**
 * Where a photo's renditions are cut from. Usually the original itself; for HEIF, its public
 * copy: decoding HEVC in WebAssembly takes a second or two for 12 MP, so it is done once, into a
 * full-size JPEG, and every rendition decodes that (shrinking on load) instead.
 */
export function renditionSource(original: PublicOriginalRequest): RenditionSource {
  // The public copy is already turned; the original is turned as each rendition is cut.
  return isHeif(original.extension)
    ? { source: original.destination, quarterTurns: 0, via: original }
    : { source: original.source, quarterTurns: original.quarterTurns };
}

export interface RenditionSource {
  source: string;
  /** Clockwise, after the file's own orientation. */
  quarterTurns: number;
  /** The public copy to make first, when it is the source. */
  via?: PublicOriginalRequest;
}

export interface PublicOriginalRequest {
  /** The untouched original. */
  source: string;
  destination: string;
  /** The original's own extension: the copy keeps its format. */
  extension: string;
  /** Its EXIF orientation, kept so a stripped JPEG still displays upright. */
  orientation: number;
  /** The owner's rotation (photos.quarter_turns), clockwise after the orientation. */
  quarterTurns: number;
}

function reencode(image: Sharp, extension: string): Sharp {
  switch (extension) {
    case 'png':
      return image.png();
    case 'webp':
      return image.webp({ quality: 92, effort: 4 });
    case 'avif':
      return image.avif({ quality: 70, effort: 0 });
    case 'gif':
      return image.gif();
    case 'tif':
      return image.tiff({ compression: 'lzw' });
    default:
      return image.jpeg({ quality: 92 });
  }
}

/**
 * What everyone but the admin receives for ORIGINAL: the full-resolution image without any
 * EXIF, XMP, IPTC or GPS, in its public format (`publicOriginalFormat`), colour profile kept. A JPEG is stripped
 * losslessly (same compressed pixels, see strip-jpeg.ts); anything else, or a JPEG too broken
 * to walk, is re-encoded upright at full size.
 */
export async function writePublicOriginal(request: PublicOriginalRequest, limits: RenderLimits): Promise<void> {
  if (!(await limits.files.fetch(request.source))) throw new Error(`the original ${request.source} is missing`);
  const contentType = publicOriginalContentType(request.extension);
  if (isHeif(request.extension)) {
    const decoded = await heifDecoders.decode(request.source, limits, heifIccProfile(await readFile(request.source)));
    // sRGB, as every rendition: an iPhone's Display P3 is converted through its profile, not relabelled.
    const encoded = sharp(decoded.tiff, { limitInputPixels: limits.maxPixels })
      .rotate(90 * request.quarterTurns)
      .flatten({ background: MATTE })
      .toColourspace('srgb')
      .jpeg({ quality: 92 });
    await limits.files.write(request.destination, (temp) => encoded.toFile(temp), contentType);
    return;
  }
  if (request.extension === 'jpg') {
    try {
      const stripped = stripJpegMetadata(await readFile(request.source), turnedOrientation(request.orientation, request.quarterTurns));
      await limits.files.write(request.destination, (temp) => writeFile(temp, stripped, { flag: 'wx' }), contentType);
      return;
    } catch (error) {
      if (!(error instanceof NotAJpegError)) throw error;
    }
  }
  const image = sharp(request.source, { failOn: 'none', limitInputPixels: limits.maxPixels, animated: request.extension === 'gif' })
    .autoOrient()
    .rotate(90 * request.quarterTurns)
    .keepIccProfile()
    .timeout({ seconds: limits.timeoutSeconds });
  const encoded = reencode(image, request.extension);
  // Streamed into the temp file: a full-size image is never held in memory as an encoded buffer.
  await limits.files.write(request.destination, (temp) => encoded.toFile(temp), contentType);
}

/** The public copy's media type, by the original's extension (the copy keeps its format, HEIF becomes JPEG). */
function publicOriginalContentType(extension: string): string {
  const kept = publicOriginalExtension(extension);
  return kept === 'jpg' ? 'image/jpeg' : kept === 'tif' ? 'image/tiff' : `image/${kept}`;
}
