import { eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { NOW_MS } from '../db/now.ts';
import { jobs, photos } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { FileStore } from '../storage/file-store.ts';
import { addKeywords, removeKeywords, setKeywords } from './keywords.ts';
import { validDescription, validKeywords, validPhotoList, validRating, validTitle } from './validation.ts';

export type PhotoRow = typeof photos.$inferSelect;
export { PHOTO_STATUSES, type PhotoStatus } from '../db/schema.ts';

/** The photo row of this row id (one just stored). */
export function photoByRowId(db: Db, id: number): PhotoRow | undefined {
  return db.select().from(photos).where(eq(photos.id, id)).get();
}

export const PROCESS_JOB = 'process';

/** The owner's sorting of photos, set on one photo or on many at once. */
export interface CurationPatch {
  favorite?: boolean | null;
  rating?: number | null;
}

/** A change to many photos at once: keywords are added to and taken off each, not replaced. */
export interface PhotosPatch extends CurationPatch {
  addKeywords?: readonly string[] | null;
  removeKeywords?: readonly string[] | null;
}

export interface PhotoPatch extends CurationPatch {
  title?: string | null;
  description?: string | null;
  /** The photo's keywords afterwards, all of them. */
  keywords?: readonly string[] | null;
}

function curationChanges(patch: CurationPatch): Partial<PhotoRow> {
  const changes: Partial<PhotoRow> = {};
  if (patch.favorite !== undefined && patch.favorite !== null) changes.favorite = patch.favorite ? 1 : 0;
  if (patch.rating !== undefined && patch.rating !== null) changes.rating = validRating('rating', patch.rating);
  return changes;
}

export function updatePhoto(db: Db, publicId: string, patch: PhotoPatch): PhotoRow {
  const changes: Partial<PhotoRow> = curationChanges(patch);
  if (patch.title !== undefined && patch.title !== null) changes.title = validTitle('title', patch.title);
  if (patch.description !== undefined && patch.description !== null)
    changes.description = validDescription('description', patch.description);
  const keywords = patch.keywords === undefined || patch.keywords === null ? undefined : validKeywords('keywords', patch.keywords);
  return db.transaction((tx) => {
    const updated = tx
      .update(photos)
      .set({ ...changes, updatedAt: NOW_MS })
      .where(eq(photos.publicId, publicId))
      .returning()
      .get();
    if (updated === undefined) throw new NotFoundError('Photo', publicId);
    if (keywords !== undefined) setKeywords(tx, updated.id, keywords);
    return updated;
  });
}

/**
 * Marks many photos at once (favourite or not, a rating, keywords added or taken off) in one transaction: all of them or, if
 * any id names no photo, none (the first missing one is named).
 */
export function updatePhotos(db: Db, publicIds: readonly string[], patch: PhotosPatch): PhotoRow[] {
  const ids = validPhotoList('ids', publicIds);
  const changes = curationChanges(patch);
  const added = validKeywords('addKeywords', patch.addKeywords ?? []);
  const removed = validKeywords('removeKeywords', patch.removeKeywords ?? []);
  return db.transaction((tx) => {
    const updated = tx
      .update(photos)
      .set({ ...changes, updatedAt: NOW_MS })
      .where(inArray(photos.publicId, ids))
      .returning()
      .all();
    if (updated.length !== ids.length) {
      const found = new Set(updated.map((row) => row.publicId));
      throw new NotFoundError('Photo', ids.find((id) => !found.has(id)) as string);
    }
    const rowIds = updated.map((row) => row.id);
    removeKeywords(tx, rowIds, removed);
    addKeywords(tx, rowIds, added);
    const order = new Map(ids.map((id, index) => [id, index]));
    return updated.sort((a, b) => (order.get(a.publicId) as number) - (order.get(b.publicId) as number));
  });
}

/**
 * Rows first, in one transaction (memberships and jobs go by cascade), then the files, wherever
 * they are kept. A crash or a bucket failure
 * in between leaves only unreferenced files, which the start-up sweep removes; never a row
 * pointing at a missing file.
 */
export async function deletePhoto(db: Db, files: FileStore, publicId: string): Promise<PhotoRow> {
  const deleted = db.delete(photos).where(eq(photos.publicId, publicId)).returning().get();
  if (deleted === undefined) throw new NotFoundError('Photo', publicId);
  // Its bytes are no other row's: content_hash is unique, a second upload of them is the same photo.
  await files.remove(files.layout.originalPath(deleted.contentHash, deleted.originalExtension));
  await files.removeDerived(deleted.publicId);
  return deleted;
}

/**
 * A new version: image URLs change (so caches holding the old renditions are bypassed), the
 * renditions are made again on demand, and a processing job is queued.
 */
export function reprocessPhoto(db: Db, publicId: string): PhotoRow {
  return newVersion(db, publicId, {});
}

/** Quarter turns a rotation may ask for: clockwise (1-3) or counter-clockwise (-1 to -3). */
export const QUARTER_TURN_RANGE = 3;

/**
 * Turns the photo as displayed by `by` quarter turns clockwise: a new version (every rendition is
 * cut again, turned, under new URLs), and the original stays untouched.
 */
export function rotatePhoto(db: Db, publicId: string, by: number): PhotoRow {
  if (!Number.isInteger(by) || by === 0 || Math.abs(by) > QUARTER_TURN_RANGE) {
    throw new ValidationError('quarterTurns', `quarterTurns must be 1, 2 or 3 (clockwise) or -1, -2 or -3 (counter-clockwise), got ${by}`);
  }
  const odd = by % 2 !== 0;
  return newVersion(db, publicId, {
    quarterTurns: sql`((${photos.quarterTurns} + ${by}) % 4 + 4) % 4`,
    // Columns in SET all read the row as it was, so the two swap.
    ...(odd ? { width: sql`${photos.height}`, height: sql`${photos.width}` } : {}),
  });
}

function newVersion(db: Db, publicId: string, change: Partial<Record<'quarterTurns' | 'width' | 'height', SQL>>): PhotoRow {
  return db.transaction((tx) => {
    const updated = tx
      .update(photos)
      .set({ ...change, version: sql`${photos.version} + 1`, updatedAt: NOW_MS })
      .where(eq(photos.publicId, publicId))
      .returning()
      .get();
    if (updated === undefined) throw new NotFoundError('Photo', publicId);
    tx.insert(jobs).values({ photoId: updated.id, kind: PROCESS_JOB }).run();
    return updated;
  });
}
