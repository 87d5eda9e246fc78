import { rm } from 'node:fs/promises';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { NOW_MS } from '../db/now.ts';
import { jobs, photos } from '../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { validDescription, validTitle } from './validation.ts';

export type PhotoRow = typeof photos.$inferSelect;
export { PHOTO_STATUSES, type PhotoStatus } from '../db/schema.ts';

/** The photo row of this row id (one just stored). */
export function photoByRowId(db: Db, id: number): PhotoRow | undefined {
  return db.select().from(photos).where(eq(photos.id, id)).get();
}

export const PROCESS_JOB = 'process';

export interface PhotoPatch {
  title?: string | null;
  description?: string | null;
}

export function updatePhoto(db: Db, publicId: string, patch: PhotoPatch): PhotoRow {
  const changes: Partial<PhotoRow> = {};
  if (patch.title !== undefined && patch.title !== null) changes.title = validTitle('title', patch.title);
  if (patch.description !== undefined && patch.description !== null)
    changes.description = validDescription('description', patch.description);
  const updated = db
    .update(photos)
    .set({ ...changes, updatedAt: NOW_MS })
    .where(eq(photos.publicId, publicId))
    .returning()
    .get();
  if (updated === undefined) throw new NotFoundError('Photo', publicId);
  return updated;
}

/**
 * Rows first, in one transaction (memberships and jobs go by cascade), then the files. A crash
 * in between leaves only unreferenced files, which the start-up sweep removes; never a row
 * pointing at a missing file.
 */
export async function deletePhoto(db: Db, layout: StorageLayout, publicId: string): Promise<PhotoRow> {
  const deleted = db.delete(photos).where(eq(photos.publicId, publicId)).returning().get();
  if (deleted === undefined) throw new NotFoundError('Photo', publicId);
  await rm(layout.originalPath(deleted.contentHash, deleted.originalExtension), { force: true });
  await rm(layout.derivedDirFor(deleted.publicId), { recursive: true, force: true });
  return deleted;
}

/**
 * A new version: image URLs change (so caches holding the old renditions are bypassed), the
 * renditions are made again on demand, and a processing job is queued.
 */
export function reprocessPhoto(db: Db, publicId: string): PhotoRow {
  return db.transaction((tx) => {
    const updated = tx
      .update(photos)
      .set({ version: sql`${photos.version} + 1`, updatedAt: NOW_MS })
      .where(eq(photos.publicId, publicId))
      .returning()
      .get();
    if (updated === undefined) throw new NotFoundError('Photo', publicId);
    tx.insert(jobs).values({ photoId: updated.id, kind: PROCESS_JOB }).run();
    return updated;
  });
}
