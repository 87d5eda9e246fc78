import { asc, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { type AlbumVisibility, albums } from '../db/schema.ts';
import { newPublicId } from '../ids.ts';

/** The oldest album with this title, or a new one: re-running an import fills the same album. */
export function findOrCreateAlbum(db: Queryable, title: string, visibility: AlbumVisibility): { id: number; created: boolean } {
  const existing = db.select({ id: albums.id }).from(albums).where(eq(albums.title, title)).orderBy(asc(albums.id)).limit(1).get();
  if (existing) return { id: existing.id, created: false };
  const created = db.insert(albums).values({ publicId: newPublicId(), title, visibility }).returning({ id: albums.id }).get();
  return { id: created.id, created: true };
}
