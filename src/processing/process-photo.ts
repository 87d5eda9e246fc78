import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { photos } from '../db/schema.ts';
import { readPhotoMetadata } from '../media/exif.ts';
import type { DecodeLimits } from '../media/limits.ts';
import { publicOriginalExtension, renditionSource, writePublicOriginal } from '../media/public-original.ts';
import { EAGER_VARIANTS, PhotoSource } from '../media/source.ts';
import { EAGER_RENDITIONS } from '../media/variants.ts';
import { geoCellOf } from '../places/geo-cells.ts';
import { placeId, placeNear } from '../places/photo-places.ts';
import { type FileStore, filesOf } from '../storage/file-store.ts';
import type { StorageLayout } from '../storage/layout.ts';

export interface ProcessPhotoDeps {
  db: Db;
  layout: StorageLayout;
  /** Where the files are read from and written to: the data dir's own folders unless given. */
  files?: FileStore;
  limits: DecodeLimits;
}

/**
 * What a worker does to one photo: one decode of the original feeds the eager renditions and
 * the placeholder; EXIF is read again so a reprocess refreshes it. The photo is READY only
 * once every file is in place.
 */
export async function processPhoto(deps: ProcessPhotoDeps, photoId: number): Promise<void> {
  const photo = deps.db.select().from(photos).where(eq(photos.id, photoId)).get();
  if (photo === undefined) return; // deleted while queued: nothing to do
  const files = filesOf(deps);
  const original = deps.layout.originalPath(photo.contentHash, photo.originalExtension);
  if (!(await files.fetch(original))) throw new Error(`the original of photo ${photo.publicId} is missing from ${files.location}`);
  const publicCopy = deps.layout.derivedPath(photo.publicId, 'original', photo.version, publicOriginalExtension(photo.originalExtension));
  const {
    source: from,
    quarterTurns,
    via,
  } = renditionSource({
    source: original,
    destination: publicCopy,
    extension: photo.originalExtension,
    orientation: photo.orientation,
    quarterTurns: photo.quarterTurns,
  });
  // HEIF is decoded once, into the public copy every rendition is then cut from.
  if (via !== undefined) await writePublicOriginal(via, { ...deps.limits, files });
  const source = await PhotoSource.decode({ path: from, quarterTurns }, photo, EAGER_VARIANTS, deps.limits);
  for (const [variant, format] of EAGER_RENDITIONS) {
    await source.write(variant, format, deps.layout.derivedPath(photo.publicId, variant, photo.version, format), files);
  }
  const placeholder = await source.placeholder();
  const metadata = await readPhotoMetadata(original, photo.originalExtension);
  const place = placeNear(metadata.latitude, metadata.longitude);
  deps.db.transaction((tx) => {
    tx.update(photos)
      .set({
        ...metadata,
        geoCell: geoCellOf(metadata.latitude, metadata.longitude),
        placeId: placeId(tx, place),
        placeholderHash: placeholder.hash,
        dominantColor: placeholder.dominantColor,
        status: 'READY',
        failureReason: null,
      })
      .where(eq(photos.id, photo.id))
      .run();
  });
}
