import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { photos, shareLinks } from '../db/schema.ts';
import { photoIsPublic } from './access.ts';

/**
 * The photos among these row ids, as one bound value: an album's photos may be more than SQLite
 * allows bound parameters in one statement (32,766), and making such an album private must work.
 */
function photoIdIn(photoIds: readonly number[]) {
  return sql`${photos.id} IN (SELECT value FROM json_each(${JSON.stringify(photoIds)}))`;
}

function publicAmong(db: Queryable, photoIds: readonly number[]): Set<number> {
  if (photoIds.length === 0) return new Set();
  const rows = db
    .select({ id: photos.id })
    .from(photos)
    .where(and(photoIdIn(photoIds), photoIsPublic()))
    .all();
  return new Set(rows.map((row) => row.id));
}

function newUrlKeys(db: Queryable, photoIds: readonly number[]): void {
  if (photoIds.length === 0) return;
  db.update(photos).set({ urlKey: sql`lower(hex(randomblob(6)))` }).where(photoIdIn(photoIds)).run();
}

/**
 * Runs `change` (inside the caller's transaction) and gives a new URL key to every photo among
 * `photoIds` that was public before it and is not after: every URL handed out while it was
 * public then answers 404 at the origin, and stays dead if the photo is published again.
 */
export function unpublishing<T>(db: Queryable, photoIds: readonly number[], change: () => T): T {
  const before = publicAmong(db, photoIds);
  const result = change();
  if (before.size === 0) return result;
  const after = publicAmong(db, [...before]);
  const unpublished = [...before].filter((id) => !after.has(id));
  newUrlKeys(db, unpublished);
  return result;
}

/**
 * After `photoIds` left the album (inside the same transaction): a new URL key for each that is
 * not public now, when the album has any share link, whatever its state (an expired link can be
 * given a new expiry). The image route checks a share URL against the link and the album's
 * membership as they are, so a photo put back would revive every URL handed out before it left;
 * the key is under their signatures, so with a new one they stay dead. A photo still public
 * elsewhere keeps its key: anyone may load it anyway, and caches hold its URLs for a year.
 */
export function leftSharedAlbum(db: Queryable, albumId: number, photoIds: readonly number[]): void {
  if (photoIds.length === 0) return;
  const shared = db.select({ id: shareLinks.id }).from(shareLinks).where(eq(shareLinks.albumId, albumId)).limit(1).get();
  if (shared === undefined) return;
  const stillPublic = publicAmong(db, photoIds);
  newUrlKeys(
    db,
    photoIds.filter((id) => !stillPublic.has(id)),
  );
}
