import { mkdir } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import type { Db } from '../db/client.ts';
import { photos } from '../db/schema.ts';
import { encode, writeImageAtomically } from '../images/render.ts';
import { type DerivedVariant, type ImageFormat, variantDimensions } from '../images/variants.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { readPhotoMetadata } from './exif.ts';

/** Renditions made by the worker; the rest are rendered on first request. */
export const EAGER_RENDITIONS: readonly [DerivedVariant, ImageFormat][] = [
  ['medium', 'webp'],
  ['medium', 'jpg'],
  ['thumb', 'webp'],
  ['thumb', 'jpg'],
];

const THUMBHASH_SIDE = 100;

export interface PipelineDeps {
  db: Db;
  layout: StorageLayout;
  maxPixels: number;
  timeoutSeconds: number;
}

function hex(value: number): string {
  return Math.round(value).toString(16).padStart(2, '0');
}

/**
 * What a worker does to one photo: one decode of the original (upright, sRGB, at MEDIUM size)
 * feeds the eager renditions, the ThumbHash placeholder and the dominant colour; EXIF is read
 * again so a reprocess refreshes it. The photo is READY only once every file is in place.
 */
export async function processPhoto(deps: PipelineDeps, photoId: number): Promise<void> {
  const photo = deps.db.select().from(photos).where(eq(photos.id, photoId)).get();
  if (photo === undefined) return; // deleted while queued: nothing to do
  const source = deps.layout.originalPath(photo.contentHash, photo.originalExtension);
  const medium = variantDimensions('medium', photo.width, photo.height);
  const decoded = await sharp(source, { failOn: 'none', limitInputPixels: deps.maxPixels })
    .autoOrient()
    .resize(medium.width, medium.height, { fit: 'fill' })
    .toColourspace('srgb')
    .removeAlpha()
    .timeout({ seconds: deps.timeoutSeconds })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels } } as const;
  const fromDecoded = () => sharp(decoded.data, raw);

  await mkdir(deps.layout.derivedDirFor(photo.publicId), { recursive: true });
  for (const [variant, format] of EAGER_RENDITIONS) {
    const size = variantDimensions(variant, photo.width, photo.height);
    const image =
      variant === 'medium' ? fromDecoded() : fromDecoded().resize(size.width, size.height, { fit: 'cover', position: 'centre' });
    await writeImageAtomically(
      deps.layout.tempDir,
      deps.layout.derivedPath(photo.publicId, variant, photo.version, format),
      encode(image, format),
    );
  }

  const small = await fromDecoded()
    .resize(THUMBHASH_SIDE, THUMBHASH_SIDE, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const placeholderHash = Buffer.from(rgbaToThumbHash(small.info.width, small.info.height, small.data)).toString('base64');
  const { dominant } = await fromDecoded().stats();
  const dominantColor = `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`;
  const metadata = await readPhotoMetadata(source);

  deps.db
    .update(photos)
    .set({ ...metadata, placeholderHash, dominantColor, status: 'READY', failureReason: null })
    .where(eq(photos.id, photo.id))
    .run();
}
