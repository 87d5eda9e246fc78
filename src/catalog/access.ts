import { and, type Column, exists, inArray, type SQL, sql } from 'drizzle-orm';
import { SQLiteDialect } from 'drizzle-orm/sqlite-core';
import { ANONYMOUS, type Viewer } from '../auth/viewer.ts';
import type { Queryable } from '../db/client.ts';
import { albumPhotos, albums, photos } from '../db/schema.ts';

/**
 * Who may see what: the only place that answers it. Every reader asks here, in SQL for lists,
 * counts and lookups alike, so a list, its total, a node lookup and an image URL can never
 * disagree.
 *
 * - admin: everything.
 * - anonymous: PUBLIC albums, and photos in at least one PUBLIC album.
 *
 * `undefined` means "no restriction"; callers AND it into their own conditions.
 */

/** Albums the viewer may see. */
export function albumVisibleTo(viewer: Viewer, table: typeof albums = albums): SQL | undefined {
  if (viewer.kind === 'admin') return undefined;
  // A literal, not a bound value: the rule is rendered once into the image route's raw statement.
  return sql`${table.visibility} = 'PUBLIC'`;
}

/** The same rule for drizzle's relational `where` (e.g. Photo.albums). */
export function albumRelationFilter(viewer: Viewer): { visibility?: 'PUBLIC' } {
  return viewer.kind === 'admin' ? {} : { visibility: 'PUBLIC' };
}

/** The photo is in at least one album meeting every condition. */
function inAlbumWhere(photoId: SQL | Column, ...conditions: (SQL | undefined)[]): SQL {
  return exists(
    sql`(SELECT 1 FROM ${albumPhotos} JOIN ${albums} ON ${albums.id} = ${albumPhotos.albumId}
         WHERE ${and(sql`${albumPhotos.photoId} = ${photoId}`, ...conditions)})`,
  );
}

/** Photos the viewer may see: `photoId` is the row id column (or expression) of the photo in question. */
export function photoVisibleTo(viewer: Viewer, photoId: SQL | Column = photos.id): SQL | undefined {
  if (viewer.kind === 'admin') return undefined;
  return inAlbumWhere(photoId, albumVisibleTo(viewer));
}

/** Photos in the album with this public id, as far as the viewer may see the album. */
export function photoInVisibleAlbum(viewer: Viewer, photoId: SQL | Column, albumPublicId: string): SQL {
  return inAlbumWhere(photoId, sql`${albums.publicId} = ${albumPublicId}`, albumVisibleTo(viewer));
}

/** Whether anyone at all may load the photo: such photos get plain image URLs, all others only signed ones. */
export function photoIsPublic(photoId: SQL | Column = photos.id): SQL {
  return photoVisibleTo(ANONYMOUS, photoId) as SQL;
}

/** `photoIsPublic` as SQL text, for the image route's prepared statement, which stays raw for speed. */
export const PHOTO_IS_PUBLIC_SQL: string = (() => {
  const query = new SQLiteDialect().sqlToQuery(photoIsPublic());
  if (query.params.length > 0) throw new Error('the public-photo rule must not need parameters');
  return query.sql;
})();

/** The uploaded bytes as they are (EXIF, GPS, serial numbers and all): the admin's alone. Everyone else gets the public copy. */
export function mayReceiveUntouchedOriginal(viewer: Viewer): boolean {
  return viewer.kind === 'admin';
}

/** Where a photo was taken is the admin's to see: anonymous callers get no location, whatever the photo holds. */
export function mayViewLocation(viewer: Viewer): boolean {
  return viewer.kind === 'admin';
}

/** Of the given public ids of one node type, those that exist and the viewer may load: missing and hidden alike are left out. */
export function visiblePublicIds(db: Queryable, viewer: Viewer, typename: string, publicIds: string[]): Set<string> {
  if (publicIds.length === 0) return new Set();
  if (typename === 'Photo') {
    const rows = db
      .select({ publicId: photos.publicId })
      .from(photos)
      .where(and(inArray(photos.publicId, publicIds), photoVisibleTo(viewer)))
      .all();
    return new Set(rows.map((row) => row.publicId));
  }
  if (typename === 'Album') {
    const rows = db
      .select({ publicId: albums.publicId })
      .from(albums)
      .where(and(inArray(albums.publicId, publicIds), albumVisibleTo(viewer)))
      .all();
    return new Set(rows.map((row) => row.publicId));
  }
  return new Set();
}
