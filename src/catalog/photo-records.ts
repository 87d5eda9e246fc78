import { and, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { SQLiteDialect } from 'drizzle-orm/sqlite-core';
import type { Viewer } from '../auth/viewer.ts';
import { ALBUM_PHOTO_SORT_COLUMN, type AlbumPhotoOrder, albumPhotos, photos } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { locationShownTo, mayViewCaptureDetails, photoIsPublicFor, photoVisibleTo } from './access.ts';
import { type KeysetOrder, type KeysetPage, keysetBounds, keysetOrderBy } from './keyset.ts';
import { partSource } from './photo-counts.ts';
import { type PhotoFilter, type PhotoPart, photoParts, TAKEN_SORT } from './photo-filter.ts';

const dialect = new SQLiteDialect();

export type PhotoRow = typeof photos.$inferSelect;

/**
 * What every photo read selects: enough for a grid (image URLs, size, placeholder, title) and
 * for every sort key. The rest (capture details, location, file facts) is read only when a
 * query asks for it: 35 columns on every row of every page cost more than the page itself.
 */
const CORE_FIELDS = [
  'id',
  'publicId',
  'title',
  'description',
  'status',
  'version',
  'urlKey',
  'originalExtension',
  'width',
  'height',
  'placeholderHash',
  'dominantColor',
  'takenAt',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof PhotoRow)[];

type CoreField = (typeof CORE_FIELDS)[number];

/** A photo as a viewer reads it in a list: its core columns, and whether anyone may load it. */
export interface PhotoRecord extends Pick<PhotoRow, CoreField> {
  /** 1 when anyone may load the photo (it gets plain image URLs), 0 when only signed URLs work. */
  inPublicAlbum: 0 | 1;
  /** In a list by relevance: the search's bm25 rank (lower is better). */
  searchRank?: number;
}

/** The columns a photo's page or the admin's library asks for beyond the core. */
export interface PhotoDetails extends Omit<PhotoRow, Exclude<CoreField, 'id'>> {
  /** 1 when this viewer may see where it was taken. */
  locationShown: 0 | 1;
  /** Its place (places, by place_id), if one was found: shown with the location alone. */
  placeName: string | null;
  placeCountry: string | null;
  placeCountryCode: string | null;
}

/** A photo read as a page of an album's photos. */
export interface AlbumPhotoRecord extends PhotoRecord {
  inAlbum: number;
  /** Its key in the album's order: its position, or its capture-time sort key. */
  orderKey: number;
}

const COLUMN_OF = new Map(Object.entries(getTableColumns(photos)).map(([key, column]) => [key, column.name]));
const DETAIL_FIELDS = [...COLUMN_OF.keys()].filter((key) => key === 'id' || !(CORE_FIELDS as readonly string[]).includes(key));

/** The record's keys, in the order every read selects them (so the records all share one shape). */
export const PHOTO_RECORD_KEYS: readonly string[] = [...CORE_FIELDS, 'inPublicAlbum'];

const rendered = new Map<string, SQL>();

/**
 * The record's columns for `SELECT`, read from the table (or alias) `from`, each named
 * `<prefix><field>`. They take no parameters, so each variant is rendered to text once.
 */
export function photoColumns(viewer: Viewer, from = 'photos', prefix = ''): SQL {
  // photoIsPublicFor depends on the kind of viewer alone.
  const key = `${from}\0${prefix}\0${viewer.kind}`;
  let columns = rendered.get(key);
  if (columns === undefined) {
    const inPublicAlbum = photoIsPublicFor(viewer, from);
    const query = dialect.sqlToQuery(
      sql.join(
        [
          ...CORE_FIELDS.map((field) => sql.raw(`"${from}"."${COLUMN_OF.get(field)}" AS "${prefix}${field}"`)),
          sql`${inPublicAlbum} AS ${sql.raw(`"${prefix}inPublicAlbum"`)}`,
        ],
        sql`, `,
      ),
    );
    if (query.params.length > 0) throw new Error('photo columns must not take parameters');
    columns = sql.raw(query.sql);
    rendered.set(key, columns);
  }
  return columns;
}

/** The details of photos already read (and so already known visible to the viewer). */
export function photoDetails(reads: Reads, viewer: Viewer, ids: readonly number[]): readonly PhotoDetails[] {
  if (ids.length === 0) return [];
  return reads.all<PhotoDetails>(
    sql`SELECT ${sql.join(
      DETAIL_FIELDS.map((key) => sql.raw(`"photos"."${COLUMN_OF.get(key)}" AS "${key}"`)),
      sql`, `,
    )}, ${locationShownTo(viewer, photos.id)} AS "locationShown",
           "places"."name" AS "placeName", "places"."country" AS "placeCountry", "places"."country_code" AS "placeCountryCode"
         FROM ${photos} LEFT JOIN "places" ON "places"."id" = "photos"."place_id" WHERE ${photos.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
  );
}

/**
 * A photo list order, and the same order over one album's memberships: album_photos keeps a
 * copy of each member's sort keys (kept by the database's triggers), indexed per album, so a
 * list filtered by album is an index seek too. Both give the same values, so cursors are one.
 */
export interface PhotoOrder extends KeysetOrder<PhotoRecord> {
  memberKeys: SQL[];
  /** By a search's rank: only for a list with a search (its parts read their matches' rank). */
  ranked?: true;
}

const memberKey = (column: string) => sql.raw(`"member"."${column}"`);
/** A search's rank, as photo-counts.ts partSource names it. */
const MATCH_RANK = sql.raw('"match"."rank"');

function photoOrder(
  name: string,
  keys: [SQL, SQL, string],
  direction: 'asc' | 'desc',
  values: (photo: PhotoRecord) => (number | string)[],
): PhotoOrder {
  const [key, tiebreak, memberColumn] = keys;
  return { name, keys: [key, tiebreak], memberKeys: [memberKey(memberColumn), memberKey('photo_id')], direction, values };
}

const createdKeys = (): [SQL, SQL, string] => [sql`${photos.createdAt}`, sql`${photos.id}`, 'photo_created_at'];
const takenKeys = (): [SQL, SQL, string] => [TAKEN_SORT, sql`${photos.id}`, 'photo_taken_sort'];
const titleKeys = (): [SQL, SQL, string] => [sql`${photos.title}`, sql`${photos.id}`, 'photo_title'];

/** Every order the photo list offers, each ending on the row id so it is total; each has its indexes (db/schema.ts). */
export const PHOTO_ORDERS = {
  CREATED_AT_DESC: photoOrder('photos.created-desc', createdKeys(), 'desc', (p) => [p.createdAt, p.id]),
  CREATED_AT_ASC: photoOrder('photos.created-asc', createdKeys(), 'asc', (p) => [p.createdAt, p.id]),
  TAKEN_AT_DESC: photoOrder('photos.taken-desc', takenKeys(), 'desc', (p) => [p.takenAt ?? p.createdAt, p.id]),
  TAKEN_AT_ASC: photoOrder('photos.taken-asc', takenKeys(), 'asc', (p) => [p.takenAt ?? p.createdAt, p.id]),
  TITLE_ASC: photoOrder('photos.title-asc', titleKeys(), 'asc', (p) => [p.title, p.id]),
  TITLE_DESC: photoOrder('photos.title-desc', titleKeys(), 'desc', (p) => [p.title, p.id]),
  // The best match first: the matches are sorted, since a rank belongs to one search, not to a photo.
  RELEVANCE: {
    name: 'photos.relevance',
    keys: [MATCH_RANK, sql`${photos.id}`],
    memberKeys: [MATCH_RANK, memberKey('photo_id')],
    direction: 'asc',
    values: (p) => [p.searchRank ?? 0, p.id],
    ranked: true,
  } satisfies PhotoOrder as PhotoOrder,
} as const;

export type PhotoOrderName = keyof typeof PHOTO_ORDERS;

/**
 * The capture-time orders as a viewer who may not read capture times sorts: as if no photo had
 * one, so by when each was added (`coalesce(NULL, created_at)`, written as the bare column so
 * the created-at index still serves it). Named apart from the full orders: a cursor of one is
 * refused by the other rather than misread, and none of these cursors carries a capture time.
 */
const CAPTURE_TIME_UNSEEN_ORDERS = {
  TAKEN_AT_DESC: photoOrder('photos.taken-unseen-desc', createdKeys(), 'desc', (p) => [p.createdAt, p.id]),
  TAKEN_AT_ASC: photoOrder('photos.taken-unseen-asc', createdKeys(), 'asc', (p) => [p.createdAt, p.id]),
} as const;

/** The named order as this viewer may sort: by a field only where the viewer may read it (see photoColumnAsSeenBy). */
export function photoOrderFor(viewer: Viewer, name: PhotoOrderName): PhotoOrder {
  if ((name === 'TAKEN_AT_DESC' || name === 'TAKEN_AT_ASC') && !mayViewCaptureDetails(viewer)) return CAPTURE_TIME_UNSEEN_ORDERS[name];
  return PHOTO_ORDERS[name];
}

/**
 * A page of the photos the viewer may see that pass the filter: each part (photoParts) read as its
 * own index-ordered page, and the pages merged, so no read walks or sorts photos it does not
 * answer with.
 */
export function photoPage(reads: Reads, viewer: Viewer, filter: PhotoFilter, order: PhotoOrder, page: KeysetPage): readonly PhotoRecord[] {
  const pages = photoParts(viewer, filter).map((part) => partPage(reads, viewer, part, order, page));
  return mergedPage(pages, order, page);
}

/**
 * One part's page: a seek on an index in the order's keys (an album's members on the album's
 * copy of the sort keys), or, for a search or a keyword, its matches sorted.
 */
function partPage(reads: Reads, viewer: Viewer, part: PhotoPart, order: PhotoOrder, page: KeysetPage): readonly PhotoRecord[] {
  const byKeys: KeysetOrder<PhotoRecord> = part.albumId === undefined ? order : { ...order, keys: order.memberKeys };
  const { from, where } = partSource(part, order.ranked === true);
  const rank = order.ranked === true ? sql`, ${MATCH_RANK} AS "searchRank"` : sql``;
  return reads.all<PhotoRecord>(
    sql`SELECT ${photoColumns(viewer)}${rank} FROM ${from}
         WHERE ${and(where, keysetBounds(byKeys, page))}
         ORDER BY ${keysetOrderBy(byKeys, page)} LIMIT ${page.limit}`,
  );
}

/** The first `limit` rows of pages of disjoint sets, each already in the page's order, in that order. */
function mergedPage(pages: readonly (readonly PhotoRecord[])[], order: KeysetOrder<PhotoRecord>, page: KeysetPage): readonly PhotoRecord[] {
  if (pages.length === 1) return pages[0] as readonly PhotoRecord[];
  const ascending = (order.direction === 'asc') !== page.inverted;
  const merged = pages.flat().sort((a, b) => {
    const compared = compareKeys(order.values(a), order.values(b));
    return ascending ? compared : -compared;
  });
  return merged.slice(0, page.limit);
}

/** Two sort keys compared as SQLite compares them: numbers by value, text by its UTF-8 bytes (BINARY). */
function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | string;
    const y = b[i] as number | string;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    return Buffer.compare(Buffer.from(String(x)), Buffer.from(String(y)));
  }
  return 0;
}

/** The photos with these public ids or row ids that the viewer may see; missing and hidden alike are left out. */
export function photosById(reads: Reads, viewer: Viewer, by: 'publicId' | 'id', ids: readonly (string | number)[]): readonly PhotoRecord[] {
  if (ids.length === 0) return [];
  const column = by === 'id' ? photos.id : photos.publicId;
  return reads.all<PhotoRecord>(
    sql`SELECT ${photoColumns(viewer)} FROM ${photos}
         WHERE ${and(sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, photoVisibleTo(viewer))}`,
  );
}

const member = sql.raw('"member"');

/** The column an album order sorts by, read through a table alias (`"member"."position"`). */
export function albumSortKey(alias: SQL, photoOrder: AlbumPhotoOrder): SQL {
  return sql`${alias}.${sql.raw(`"${ALBUM_PHOTO_SORT_COLUMN[photoOrder].name}"`)}`;
}

function albumPhotoOrder(name: string, photoOrder: AlbumPhotoOrder): KeysetOrder<AlbumPhotoRecord> {
  return {
    name,
    keys: [albumSortKey(member, photoOrder), sql`${member}."photo_id"`],
    direction: 'asc',
    values: (photo) => [photo.orderKey, photo.id],
  };
}

/**
 * An album's photos in the album's own order, then photo row id (keys may repeat): by capture
 * time (album_photos.photo_taken_sort, the photo's own key copied by triggers) or by the owner's
 * positions. A cursor of one is refused by the other, so a page never mixes them.
 */
export const ALBUM_PHOTO_ORDERS: Record<AlbumPhotoOrder, KeysetOrder<AlbumPhotoRecord>> = {
  TAKEN_AT: albumPhotoOrder('album-photos-taken', 'TAKEN_AT'),
  MANUAL: albumPhotoOrder('album-photos', 'MANUAL'),
};

/**
 * The same page of each of several albums that share an order, in one statement: each album's
 * page is an index seek on (album, key) with its own LIMIT, so a 12-photo page of a 10,000-photo album
 * reads 12 rows. CROSS JOIN keeps the wanted albums the outer loop: left to choose, SQLite may
 * walk every membership of the library and test each against the wanted pages. The albums are ones the viewer may see, and so are all of their photos.
 * The pages come by album id.
 */
export function albumPhotoPages(
  reads: Reads,
  viewer: Viewer,
  albumIds: readonly number[],
  photoOrder: AlbumPhotoOrder,
  page: KeysetPage,
): ReadonlyMap<number, readonly AlbumPhotoRecord[]> {
  if (albumIds.length === 0) return new Map();
  const order = ALBUM_PHOTO_ORDERS[photoOrder];
  const key = sql`${ALBUM_PHOTO_SORT_COLUMN[photoOrder]}`;
  const outer: KeysetOrder<AlbumPhotoRecord> = { ...order, keys: [key, sql`${albumPhotos.photoId}`] };
  return reads.made(
    sql`SELECT ${albumPhotos.albumId} AS "inAlbum", ${key} AS "orderKey", ${photoColumns(viewer)}
          FROM json_each(${JSON.stringify(albumIds)}) AS "wanted"
          CROSS JOIN ${albumPhotos} ON ${albumPhotos}.rowid IN (
                SELECT ${member}.rowid FROM ${albumPhotos} AS ${member}
                 WHERE ${and(sql`${member}."album_id" = "wanted"."value"`, keysetBounds(order, page))}
                 ORDER BY ${keysetOrderBy(order, page)} LIMIT ${page.limit})
          JOIN ${photos} ON ${photos.id} = ${albumPhotos.photoId}
         ORDER BY ${albumPhotos.albumId}, ${keysetOrderBy(outer, page)}`,
    pagesByAlbum,
  );
}

/** Made once per remembered read (Reads.made). */
function pagesByAlbum(rows: readonly AlbumPhotoRecord[]): ReadonlyMap<number, readonly AlbumPhotoRecord[]> {
  const pages = new Map<number, AlbumPhotoRecord[]>();
  for (const photo of rows) {
    const pageOf = pages.get(photo.inAlbum);
    if (pageOf === undefined) pages.set(photo.inAlbum, [photo]);
    else pageOf.push(photo);
  }
  return pages;
}
