import { and, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { ALBUM_PHOTO_SORT_COLUMN, type AlbumPhotoOrder, albums } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { albumVisibleTo, type DownloadAccess, downloadFor, photoColumnAsSeenBy } from './access.ts';
import { type KeysetPage, type KeyValue, keysetBounds, keysetOrderBy } from './keyset.ts';
import { ALBUM_PHOTO_ORDERS } from './photo-records.ts';

/** An album a viewer may download, and what the download gives it (access.ts downloadFor). */
export interface DownloadableAlbum {
  id: number;
  publicId: string;
  title: string;
  photoOrder: AlbumPhotoOrder;
  access: DownloadAccess;
}

/** The album with this public id if the viewer may see it and download it; otherwise nothing, alike. */
export function downloadableAlbum(reads: Reads, viewer: Viewer, albumPublicId: string): DownloadableAlbum | undefined {
  const album = reads.get<Omit<DownloadableAlbum, 'access'>>(
    sql`SELECT ${albums.id} AS "id", ${albums.publicId} AS "publicId", ${albums.title} AS "title", ${albums.photoOrder} AS "photoOrder"
          FROM ${albums} WHERE ${and(sql`${albums.publicId} = ${albumPublicId}`, albumVisibleTo(viewer))}`,
  );
  const access = album === undefined ? undefined : downloadFor(viewer, album.id);
  return album === undefined || access === undefined ? undefined : { ...album, access };
}

/** What an archive entry is made from: where the photo's files are, its name, and its time. */
export interface DownloadMember {
  id: number;
  orderKey: KeyValue;
  publicId: string;
  title: string;
  originalFilename: string | null;
  contentHash: string;
  originalExtension: string;
  mimeType: string;
  version: number;
  orientation: number;
  quarterTurns: number;
  /** The capture time where the viewer may read it (else null), in ms. */
  takenAt: number | null;
  createdAt: number;
}

const member = sql.raw('"member"');

/**
 * One page of the album's photos in the album's own order (the order its Relay connection
 * pages), after `after` (the last page's last [orderKey, id]): an index seek on the album's
 * memberships, so a page costs the same deep in a 100,000-photo album as at its start. Every
 * photo of an album the viewer may see is one it may see (access.ts visibleAlbumRowId), so the
 * album's own check is the whole rule.
 */
export function downloadMembersPage(
  reads: Reads,
  viewer: Viewer,
  album: Pick<DownloadableAlbum, 'id' | 'photoOrder'>,
  after: KeyValue[] | undefined,
  limit: number,
): readonly DownloadMember[] {
  const order = ALBUM_PHOTO_ORDERS[album.photoOrder];
  const page: KeysetPage = { after, limit, inverted: false };
  return reads.all<DownloadMember>(
    sql`SELECT ${member}."photo_id" AS "id", ${member}.${sql.raw(`"${ALBUM_PHOTO_SORT_COLUMN[album.photoOrder].name}"`)} AS "orderKey",
               "photos"."public_id" AS "publicId", "photos"."title" AS "title", "photos"."original_filename" AS "originalFilename",
               "photos"."content_hash" AS "contentHash", "photos"."original_extension" AS "originalExtension",
               "photos"."mime_type" AS "mimeType", "photos"."version" AS "version", "photos"."orientation" AS "orientation",
               "photos"."quarter_turns" AS "quarterTurns", ${photoColumnAsSeenBy(viewer, 'takenAt')} AS "takenAt",
               "photos"."created_at" AS "createdAt"
          FROM "album_photos" AS ${member} CROSS JOIN "photos" ON "photos"."id" = ${member}."photo_id"
         WHERE ${and(sql`${member}."album_id" = ${album.id}`, keysetBounds(order, page))}
         ORDER BY ${keysetOrderBy(order, page)} LIMIT ${limit}`,
  );
}
