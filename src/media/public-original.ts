import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { writeAtomically, writeFileAtomic } from '../storage/atomic.ts';
import type { RenderLimits } from './limits.ts';
import { NotAJpegError, stripJpegMetadata } from './strip-jpeg.ts';

export interface PublicOriginalRequest {
  /** The untouched original. */
  source: string;
  destination: string;
  /** The original's own extension: the copy keeps its format. */
  extension: string;
  /** Its EXIF orientation, kept so a stripped JPEG still displays upright. */
  orientation: number;
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
 * EXIF, XMP, IPTC or GPS, in the original's format, colour profile kept. A JPEG is stripped
 * losslessly (same compressed pixels, see strip-jpeg.ts); anything else, or a JPEG too broken
 * to walk, is re-encoded upright at full size.
 */
export async function writePublicOriginal(request: PublicOriginalRequest, limits: RenderLimits): Promise<void> {
  if (request.extension === 'jpg') {
    try {
      const stripped = stripJpegMetadata(await readFile(request.source), request.orientation);
      await writeFileAtomic(limits.tempDir, request.destination, stripped);
      return;
    } catch (error) {
      if (!(error instanceof NotAJpegError)) throw error;
    }
  }
  const image = sharp(request.source, { failOn: 'none', limitInputPixels: limits.maxPixels, animated: request.extension === 'gif' })
    .autoOrient()
    .keepIccProfile()
    .timeout({ seconds: limits.timeoutSeconds });
  const encoded = reencode(image, request.extension);
  // Streamed into the temp file: a full-size image is never held in memory as an encoded buffer.
  await writeAtomically(limits.tempDir, request.destination, (temp) => encoded.toFile(temp));
}
