import sharp from 'sharp';

export interface ProbedImage {
  /** As displayed, orientation applied. */
  width: number;
  height: number;
  orientation: number;
}

/**
 * Reads the dimensions as displayed and proves the pixels decode. `failOn: 'none'` keeps
 * truncated-but-viewable JPEGs; files libvips cannot decode at all still throw.
 */
export async function probeImage(file: string, maxPixels: number): Promise<ProbedImage> {
  const image = sharp(file, { failOn: 'none', limitInputPixels: maxPixels });
  const metadata = await image.metadata();
  await image.clone().resize(16, 16, { fit: 'inside' }).raw().toBuffer();
  const { width, height } = metadata.autoOrient;
  return { width, height, orientation: metadata.orientation ?? 1 };
}
