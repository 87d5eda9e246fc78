import { and, eq, exists, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { albumPhotos, albums, photos } from '../db/schema.ts';

/**
 * What an anonymous caller may see: public albums, and photos in at least one public album.
 * Every anonymous read path (lists, relations, node lookups, image URLs) goes through these.
 */
export const PUBLIC_ALBUM_WHERE = { visibility: 'PUBLIC' } as const;

/** A photo is public when it is in at least one public album: as SQL, for lists, counts and lookups alike. */
export function photoIsPublic(photoId: SQL | typeof photos.id = photos.id): SQL {
  return exists(
    sql`(SELECT 1 FROM ${albumPhotos} JOIN ${albums} ON ${albums.id} = ${albumPhotos.albumId}
         WHERE ${albumPhotos.photoId} = ${photoId} AND ${albums.visibility} = 'PUBLIC')`,
  );
}

/** Of the given public ids of one node type, those an anonymous caller may load. */
export function visiblePublicIds(db: Db, typename: string, publicIds: string[]): Set<string> {
  if (publicIds.length === 0) return new Set();
  if (typename === 'Photo') {
    const rows = db
      .select({ publicId: photos.publicId })
      .from(photos)
      .where(and(inArray(photos.publicId, publicIds), photoIsPublic()))
      .all();
    return new Set(rows.map((row) => row.publicId));
  }
  if (typename === 'Album') {
    const rows = db
      .select({ publicId: albums.publicId })
      .from(albums)
      .where(and(inArray(albums.publicId, publicIds), eq(albums.visibility, 'PUBLIC')))
      .all();
    return new Set(rows.map((row) => row.publicId));
  }
  return new Set();
}
