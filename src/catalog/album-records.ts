import { and, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { SQLiteDialect } from 'drizzle-orm/sqlite-core';
import type { Viewer } from '../auth/viewer.ts';
import { type AlbumPhotoOrder, albumPhotos, albums } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { albumVisibleTo } from './access.ts';
import { type KeysetOrder, type KeysetPage, keysetBounds, keysetOrderBy } from './keyset.ts';
import { albumSortKey, PHOTO_RECORD_KEYS, type PhotoRecord, photoColumns } from './photo-records.ts';

const dialect = new SQLiteDialect();

export type AlbumRow = typeof albums.$inferSelect;

/** An album as a viewer reads it: its row (with how many photos it holds, kept by the database), and its cover as that viewer reads photos. */
export interface AlbumRecord extends AlbumRow {
  /** The chosen cover, or else the first photo in album order; null for an empty album. */
  cover: PhotoRecord | null;
}

const ALBUM_FIELDS = Object.entries(getTableColumns(albums)).map(([key, column]) => [key, column.name] as const);
const COVER = 'cover.';
const COVER_FIELDS = PHOTO_RECORD_KEYS.map((key) => [key, `${COVER}${key}`] as const);

interface AlbumSelect {
  columns: SQL;
  from: SQL;
}

const selects = new Map<string, AlbumSelect>();

function rendered(fragment: SQL): SQL {
  const query = dialect.sqlToQuery(fragment);
  if (query.params.length > 0) throw new Error('the album select must not take parameters');
  return sql.raw(query.sql);
}

/**
 * What every album read selects: the row and the cover's photo record, in one
 * pass. It takes no parameters and depends on the kind of viewer alone, so it is rendered once per kind.
 */
function albumSelect(viewer: Viewer): AlbumSelect {
  let select = selects.get(viewer.kind);
  if (select === undefined) {
    const first = sql.raw('"first"');
    const firstIn = (photoOrder: AlbumPhotoOrder) =>
      sql`(SELECT ${first}."photo_id" FROM ${albumPhotos} AS ${first} WHERE ${first}."album_id" = ${albums.id}
            ORDER BY ${albumSortKey(first, photoOrder)}, ${first}."photo_id" LIMIT 1)`;
    select = {
      columns: rendered(sql`${sql.join(
        ALBUM_FIELDS.map(([key, column]) => sql.raw(`"albums"."${column}" AS "${key}"`)),
        sql`, `,
      )},
        ${photoColumns(viewer, 'cover', COVER)}`),
      // The first photo in the album's order: two subqueries, each one index seek, rather than one
      // ordered by a CASE, which no index serves.
      from: rendered(sql`FROM ${albums}
        LEFT JOIN photos AS "cover" ON "cover"."id" = coalesce(${albums.coverPhotoId},
          CASE ${albums.photoOrder} WHEN 'MANUAL' THEN ${firstIn('MANUAL')} ELSE ${firstIn('TAKEN_AT')} END)`),
    };
    selects.set(viewer.kind, select);
  }
  return select;
}

type AlbumSelectRow = AlbumRow & Record<string, unknown>;

/** A record of its own, not the row with the cover's columns deleted: objects of one shape stay fast to read. */
function toAlbumRecord(row: AlbumSelectRow): AlbumRecord {
  const album: Record<string, unknown> = {};
  for (const [key] of ALBUM_FIELDS) album[key] = row[key];
  let cover: Record<string, unknown> | null = null;
  if (row[`${COVER}id`] !== null) {
    cover = {};
    for (const [key, column] of COVER_FIELDS) cover[key] = row[column];
  }
  album.cover = cover;
  return album as unknown as AlbumRecord;
}

/** Made once per remembered read (Reads.made): a cover is then the same record on every request, and so is what it resolves to. */
function toAlbumRecords(rows: readonly AlbumSelectRow[]): readonly AlbumRecord[] {
  return rows.map(toAlbumRecord);
}

function albumOrder(name: string, key: SQL, direction: 'asc' | 'desc', value: (album: AlbumRow) => number | string) {
  return { name, keys: [key, sql`${albums.id}`], direction, values: (album) => [value(album), album.id] } satisfies KeysetOrder<AlbumRow>;
}

/** Every order the album list offers, each ending on the row id so it is total. */
export const ALBUM_ORDERS = {
  LATEST_PHOTO_DESC: albumOrder('albums.latest-taken-desc', sql`${albums.latestTakenSort}`, 'desc', (a) => a.latestTakenSort),
  CREATED_AT_DESC: albumOrder('albums.created-desc', sql`${albums.createdAt}`, 'desc', (a) => a.createdAt),
  CREATED_AT_ASC: albumOrder('albums.created-asc', sql`${albums.createdAt}`, 'asc', (a) => a.createdAt),
  UPDATED_AT_DESC: albumOrder('albums.updated-desc', sql`${albums.updatedAt}`, 'desc', (a) => a.updatedAt),
  TITLE_ASC: albumOrder('albums.title-asc', sql`${albums.title}`, 'asc', (a) => a.title),
  TITLE_DESC: albumOrder('albums.title-desc', sql`${albums.title}`, 'desc', (a) => a.title),
} as const;

export type AlbumOrderName = keyof typeof ALBUM_ORDERS;

/** A page of the albums the viewer may see. */
export function albumPage(reads: Reads, viewer: Viewer, order: KeysetOrder<AlbumRow>, page: KeysetPage): readonly AlbumRecord[] {
  const select = albumSelect(viewer);
  return reads.made(
    sql`SELECT ${select.columns} ${select.from} WHERE ${and(albumVisibleTo(viewer), keysetBounds(order, page)) ?? sql`1`}
         ORDER BY ${keysetOrderBy(order, page)} LIMIT ${page.limit}`,
    toAlbumRecords,
  );
}

export function albumCount(reads: Reads, viewer: Viewer): number {
  return reads.get<{ total: number }>(sql`SELECT count(*) AS "total" FROM ${albums} WHERE ${albumVisibleTo(viewer) ?? sql`1`}`)?.total ?? 0;
}

/** The albums with these public ids or row ids that the viewer may see; missing and hidden alike are left out. */
export function albumsById(reads: Reads, viewer: Viewer, by: 'publicId' | 'id', ids: readonly (string | number)[]): readonly AlbumRecord[] {
  if (ids.length === 0) return [];
  const column = by === 'id' ? albums.id : albums.publicId;
  const select = albumSelect(viewer);
  return reads.made(
    sql`SELECT ${select.columns} ${select.from} WHERE ${and(sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, albumVisibleTo(viewer))}`,
    toAlbumRecords,
  );
}

/**
 * The albums each of these photos is in, as far as the viewer may see them, by title. Each
 * album is read once however many of the photos it holds (a library page's photos mostly
 * share a few albums), with the ids of those it holds.
 */
export function albumsOfPhotos(reads: Reads, viewer: Viewer, photoIds: readonly number[]): ReadonlyMap<number, readonly AlbumRecord[]> {
  if (photoIds.length === 0) return new Map();
  const select = albumSelect(viewer);
  const holding = sql.raw('"holding"');
  return reads.made(
    sql`WITH ${holding} AS (
          SELECT "photo_id", "album_id" FROM ${albumPhotos}
           WHERE "photo_id" IN (SELECT value FROM json_each(${JSON.stringify(photoIds)})))
        SELECT (SELECT json_group_array(${holding}."photo_id") FROM ${holding} WHERE ${holding}."album_id" = ${albums.id}) AS "holds",
               ${select.columns} ${select.from}
         WHERE ${and(sql`${albums.id} IN (SELECT "album_id" FROM ${holding})`, albumVisibleTo(viewer))}
         ORDER BY ${albums.title}, ${albums.id}`,
    albumsByPhoto,
  );
}

/** Made once per remembered read (Reads.made). */
function albumsByPhoto(rows: readonly (AlbumSelectRow & { holds: string })[]): ReadonlyMap<number, readonly AlbumRecord[]> {
  const byPhoto = new Map<number, AlbumRecord[]>();
  for (const row of rows) {
    const album = toAlbumRecord(row);
    for (const photoId of JSON.parse(row.holds) as number[]) {
      const list = byPhoto.get(photoId);
      if (list === undefined) byPhoto.set(photoId, [album]);
      else list.push(album);
    }
  }
  return byPhoto;
}
