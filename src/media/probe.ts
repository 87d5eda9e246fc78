import sharp from 'sharp';
import { heifDecoders } from './heif-decoder.ts';
import { isHeif } from './media-type.ts';

export interface ProbedImage {
  /** As displayed, orientation applied. */
  width: number;
  height: number;
  /** EXIF orientation; 1 for HEIF, whose own transforms are applied when it is decoded. */
  orientation: number;
}

/**
 * Reads the dimensions as displayed and proves the pixels decode. `failOn: 'none'` keeps
 * truncated-but-viewable JPEGs; files libvips cannot decode at all still throw. A HEIF file's
 * header is read on a decoder thread (its size there is after irot, imir and clap); its pixels
 * are first decoded by the worker, which marks the photo FAILED with the reason if they cannot be.
 */
export async function probeImage(file: string, extension: string, maxPixels: number): Promise<ProbedImage> {
  if (isHeif(extension)) return { ...(await heifDecoders.info(file, { maxPixels })), orientation: 1 };
  const image = sharp(file, { failOn: 'none', limitInputPixels: maxPixels });
  const metadata = await image.metadata();
  await image.clone().resize(16, 16, { fit: 'inside' }).raw().toBuffer();
  const { width, height } = metadata.autoOrient;
  return { width, height, orientation: metadata.orientation ?? 1 };
}
