import { and, type Column, exists, inArray, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { SQLiteDialect } from 'drizzle-orm/sqlite-core';
import type { ShareGrant, Viewer } from '../auth/viewer.ts';
import type { Queryable } from '../db/client.ts';
import { albumPhotos, albums, photos, shareLinks } from '../db/schema.ts';

/**
 * Who may see what: the only place that answers it. Every reader asks here, in SQL for lists,
 * counts and lookups alike, so a list, its total, a node lookup and an image URL can never
 * disagree. Image bytes follow the same rules through images/grant.ts, which alone turns them
 * into the URLs a viewer is handed (grantFor) and checks a URL against them (verifyGrant).
 *
 * - admin: everything.
 * - anonymous: PUBLIC albums, and photos in at least one PUBLIC album.
 * - share (a live share link): what anonymous callers see, plus the link's album and its
 *   photos; capture details and location only as the link says.
 *
 * `undefined` means "no restriction"; callers AND it into their own conditions.
 */

/** Albums the viewer may see. */
export function albumVisibleTo(viewer: Viewer, table: typeof albums = albums): SQL | undefined {
  if (viewer.kind === 'admin') return undefined;
  // A literal, not a bound value: the rule is rendered once into the image route's raw statement.
  const open = sql`${table.visibility} = 'PUBLIC'`;
  if (viewer.kind === 'anonymous') return open;
  return sql`(${open} OR ${table.id} = ${viewer.grant.albumId})`;
}

/**
 * Whether anyone at all may load the photo: such photos get plain image URLs, all others only
 * signed ones. It is data (photos.in_public_album, kept by the database's triggers in the same
 * statement as every membership and visibility change), so it is an index lookup, never a
 * subquery per photo.
 */
export function photoIsPublic(): SQL {
  // For a photo already found (by id, by membership): the unary plus keeps SQLite from choosing
  // an index on in_public_album, which without statistics it takes to match ten rows, to look
  // up a photo it would find at once by id. Lists, which want that index, use photoScopeCondition.
  return sql.raw('+"photos"."in_public_album" = 1');
}

/** Photos (read from `photos`) the viewer may see. */
export function photoVisibleTo(viewer: Viewer): SQL | undefined {
  if (viewer.kind === 'admin') return undefined;
  if (viewer.kind === 'anonymous') return photoIsPublic();
  const inGrantedAlbum = sql`${photos.id} IN (SELECT ${albumPhotos.photoId} FROM ${albumPhotos} WHERE ${albumPhotos.albumId} = ${viewer.grant.albumId})`;
  return sql`(${photoIsPublic()} OR ${inGrantedAlbum})`;
}

/**
 * The photos a viewer may see as parts that never overlap, each read in order from an index (a
 * list reads each part's page and merges them; a count adds the parts' counts), so no list or
 * count ever walks photos the viewer may not see:
 * - `all`: every photo (the admin);
 * - `public`: the photos anyone may load;
 * - `album`: the photos of one album that are not public (a share link's album), read as the
 *   album's members with `photoScopeCondition`.
 */
export type PhotoScope = { kind: 'all' } | { kind: 'public' } | { kind: 'album'; albumId: number };

export function photoScopesOf(viewer: Viewer): readonly PhotoScope[] {
  if (viewer.kind === 'admin') return ALL_PHOTOS;
  if (viewer.kind === 'anonymous') return PUBLIC_PHOTOS;
  return [{ kind: 'public' }, { kind: 'album', albumId: viewer.grant.albumId }];
}

const ALL_PHOTOS: readonly PhotoScope[] = [{ kind: 'all' }];
const PUBLIC_PHOTOS: readonly PhotoScope[] = [{ kind: 'public' }];

/** The scope's condition on `photos` (for `album`, on the album's members). */
export function photoScopeCondition(scope: PhotoScope): SQL | undefined {
  if (scope.kind === 'all') return undefined;
  return sql.raw(scope.kind === 'public' ? '"photos"."in_public_album" = 1' : '"photos"."in_public_album" = 0');
}

/**
 * The row id of the album with this public id, as SQL, if the viewer may see it (else NULL,
 * which is no album). Every photo of an album the viewer may see is one the viewer may see (a
 * public album's are public; a share link's album is the link's to show), so a read of that
 * album's photos needs no other condition.
 */
export function visibleAlbumRowId(viewer: Viewer, albumPublicId: string): SQL {
  return sql`(SELECT ${albums.id} FROM ${albums} WHERE ${and(sql`${albums.publicId} = ${albumPublicId}`, albumVisibleTo(viewer))})`;
}

/** Anonymous callers see only photos in public albums: every photo they see is public. */
export function seesOnlyPublicPhotos(viewer: Viewer): boolean {
  return viewer.kind === 'anonymous';
}

/**
 * `photoIsPublic` as 0 or 1 for a photo the viewer can see, read from `from`: 1 without asking
 * for a viewer who sees only public photos. It depends on the kind of viewer alone (the columns
 * that use it are rendered once per kind).
 */
export function photoIsPublicFor(viewer: Viewer, from = 'photos'): SQL {
  return seesOnlyPublicPhotos(viewer) ? sql`1` : sql.raw(`"${from}"."in_public_album"`);
}

/** `photoIsPublic` as SQL text, for the image route's prepared statement, which stays raw for speed. */
export const PHOTO_IS_PUBLIC_SQL: string = (() => {
  const query = new SQLiteDialect().sqlToQuery(photoIsPublic());
  if (query.params.length > 0) throw new Error('the public-photo rule must not need parameters');
  return query.sql;
})();

/**
 * What ORIGINAL gives the viewer. The uploaded bytes as they are (EXIF, GPS, serial numbers and
 * all) are the admin's alone; everyone else gets the public copy (full size, no metadata), and
 * a share link that does not allow originals gives its largest rendition instead.
 */
export function originalFor(viewer: Viewer): OriginalAccess {
  if (viewer.kind === 'admin') return 'untouched';
  if (viewer.kind === 'share' && !shareGivesOriginals(viewer.grant)) return 'largest-rendition';
  return 'public-copy';
}

export type OriginalAccess = 'untouched' | 'public-copy' | 'largest-rendition';

/**
 * Whether a share link's holders get ORIGINAL at all (as the public copy: never the uploaded
 * bytes); a link that does not gives its largest rendition instead. Asked of the viewer a
 * request's header names (originalFor) and of the link a URL was signed under alike.
 */
export function shareGivesOriginals(link: Pick<ShareGrant, 'allowOriginals'>): boolean {
  return link.allowOriginals;
}

/**
 * What an album's ZIP download gives the viewer, or nothing: the admin the uploaded files as
 * they are; a share link's holder, for the link's own album and only where the link gives
 * originals, the public copies (what ORIGINAL gives it, originalFor). Anyone else, anonymous
 * callers of a public album included, is offered no download: a whole album at full size is
 * the owner's to hand out, through a link.
 */
export function downloadFor(viewer: Viewer, albumRowId: number): DownloadAccess | undefined {
  if (viewer.kind === 'admin') return 'untouched';
  if (viewer.kind === 'share' && viewer.grant.albumId === albumRowId && shareGivesOriginals(viewer.grant)) return 'public-copy';
  return undefined;
}

export type DownloadAccess = Extract<OriginalAccess, 'untouched' | 'public-copy'>;

/** Photos are added to the library (uploads, imports by URL) by the admin alone. */
export function mayUpload(viewer: Viewer): boolean {
  return viewer.kind === 'admin';
}

/**
 * Whether the viewer may see where a photo was taken, per photo, as SQL: the admin always;
 * anonymous callers never, whatever the photo holds; a share link's holder only for photos
 * of its album, and only when the link says showLocation.
 */
export function locationShownTo(viewer: Viewer, photoId: SQL | Column = photos.id): SQL {
  if (viewer.kind === 'admin') return sql`1`;
  if (viewer.kind === 'anonymous' || !viewer.grant.showLocation) return sql`0`;
  return exists(
    sql`(SELECT 1 FROM ${albumPhotos} WHERE ${albumPhotos.photoId} = ${photoId} AND ${albumPhotos.albumId} = ${viewer.grant.albumId})`,
  );
}

/** Camera, lens, exposure and capture time: hidden only from holders of a link made with showMetadata off. */
export function mayViewCaptureDetails(viewer: Viewer): boolean {
  return viewer.kind !== 'share' || viewer.grant.showMetadata;
}

/** The columns of photo_search (the migration photo_search), each what a viewer may or may not read. */
export const SEARCH_COLUMNS = ['title', 'description', 'keywords', 'albums', 'camera', 'place'] as const;
export type SearchColumn = (typeof SEARCH_COLUMNS)[number];

/**
 * What a search may match in for this viewer, in one scope of its photos (photoScopesOf): only
 * text the viewer could read on the photos of that scope, so a hit or a count never tells more
 * than the photo's fields do. Titles and descriptions always; keywords and camera with the
 * capture details; album titles (private albums' too) the admin's alone; the place where the
 * location is shown (a share link's own album, with showLocation).
 */
export function searchColumnsFor(viewer: Viewer, scope: PhotoScope): readonly SearchColumn[] {
  if (viewer.kind === 'admin') return SEARCH_COLUMNS;
  const columns: SearchColumn[] = ['title', 'description'];
  if (mayViewKeywords(viewer)) columns.push('keywords', 'camera');
  if (viewer.kind === 'share' && viewer.grant.showLocation && scope.kind === 'album') columns.push('place');
  return columns;
}

/**
 * The map of the library (clusters of where photos were taken, and photos by area): the
 * owner's alone, like every location outside a share link that shows it.
 */
export function mayViewMap(viewer: Viewer): boolean {
  return viewer.kind === 'admin';
}

/** Keywords read like the camera: they come from the file's metadata, hidden where it is. */
export function mayViewKeywords(viewer: Viewer): boolean {
  return mayViewCaptureDetails(viewer);
}

/** Favourites and star ratings: the owner's own sorting of the library, read by the admin alone. */
export function mayViewCuration(viewer: Viewer): boolean {
  return viewer.kind === 'admin';
}

/** The photo columns a filter or an order reads that not every viewer may read. */
export type GuardedPhotoColumn = 'takenAt' | 'cameraMake';

/**
 * A column as a filter or an order may read it for this viewer: the column itself, or NULL
 * where the viewer may not read the field. A filter over a hidden field then matches nothing
 * and an order over it falls back as for a photo without it, which is exactly how the field
 * reads: a count or an order can never tell more than the field does. (Refusing the filter
 * instead would break clients whose default order is by capture time, for no secrecy gained.)
 */
export function photoColumnAsSeenBy(viewer: Viewer, column: GuardedPhotoColumn): SQL {
  // Both are capture details, shown or hidden per viewer, never per photo.
  return mayViewCaptureDetails(viewer) ? sql`${photos[column]}` : sql`NULL`;
}

/**
 * The content hash and byte size of the uploaded file: the admin's alone. Others never receive
 * those bytes (see originalFor), and a hash would let anyone holding a copy of a photo prove
 * it is in this library, or link a shared photo to the same file elsewhere.
 */
export function mayViewOriginalFacts(viewer: Viewer): boolean {
  return viewer.kind === 'admin';
}

/** A share link grants anything only while it is neither revoked nor expired. */
export function shareLinkIsLive(nowMs: number | Placeholder): SQL {
  return sql`(${shareLinks.revokedAt} IS NULL AND (${shareLinks.expiresAt} IS NULL OR ${shareLinks.expiresAt} > ${nowMs}))`;
}

/** `shareLinkIsLive` as SQL text for the image route's raw statement: its one parameter is the time now, in ms. */
export const SHARE_LINK_IS_LIVE_SQL: string = (() => {
  const query = new SQLiteDialect().sqlToQuery(shareLinkIsLive(0));
  if (query.params.length !== 1) throw new Error('the live-link rule must take exactly the time');
  return query.sql;
})();

/** Share links are the admin's to see and manage; to anyone else a link's id names nothing. */
export function mayManageShareLinks(viewer: Viewer): boolean {
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
  if (typename === 'ShareLink' && mayManageShareLinks(viewer)) {
    const rows = db.select({ publicId: shareLinks.publicId }).from(shareLinks).where(inArray(shareLinks.publicId, publicIds)).all();
    return new Set(rows.map((row) => row.publicId));
  }
  return new Set();
}

/** What a change to a photo or an album recorded of its subject before it (catalog/change-feed.ts). */
export interface ChangedSubject {
  subject: 'photo' | 'album';
  rowId: number;
  kind: 'added' | 'changed' | 'removed' | 'joined' | 'left';
  albumId: number | null;
  wasPublic: boolean;
}

/**
 * Whether the viewer could see a changed photo or album before the change. Whether it may see
 * it now is asked of the database as any read is (photoVisibleTo, albumVisibleTo); a thing the
 * viewer no longer sees is news (gone) only if it saw it before: to anyone else a hidden thing
 * that goes looks exactly like nothing happening.
 */
export function changeWasVisibleTo(viewer: Viewer, change: ChangedSubject): boolean {
  if (viewer.kind === 'admin') return change.kind !== 'added';
  if (change.wasPublic) return true;
  if (viewer.kind === 'anonymous') return false;
  if (change.subject === 'album') return change.rowId === viewer.grant.albumId;
  // A photo leaves the link's album (or goes, and its memberships with it).
  return change.kind === 'left' && change.albumId === viewer.grant.albumId;
}
