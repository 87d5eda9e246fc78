import { and, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { photos } from '../db/schema.ts';
import { photoIsPublic } from './access.ts';

function publicAmong(db: Queryable, photoIds: readonly number[]): Set<number> {
  if (photoIds.length === 0) return new Set();
  const rows = db
    .select({ id: photos.id })
    .from(photos)
    .where(and(inArray(photos.id, [...photoIds]), photoIsPublic()))
    .all();
  return new Set(rows.map((row) => row.id));
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
  if (unpublished.length > 0) {
    db.update(photos).set({ urlKey: sql`lower(hex(randomblob(6)))` }).where(inArray(photos.id, unpublished)).run();
  }
  return result;
}
