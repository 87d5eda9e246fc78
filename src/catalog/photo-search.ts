import { type SQL, sql } from 'drizzle-orm';
import { cellRangesCovering, type GeoBox } from '../places/geo-cells.ts';
import type { SearchColumn } from './access.ts';

/**
 * What a part of a photo list is narrowed to beyond plain columns: photos whose searchable text
 * holds every word (a prefix of it, as a person types), and/or that carry a keyword (by its
 * keywordKey). Read from the search index or the keyword's own rows, so it costs what it
 * matches, never the library.
 */
export interface PhotoMatch {
  words?: readonly string[];
  columns?: readonly SearchColumn[];
  keywordKey?: string;
  /** Only photos taken inside this box (the owner's map). */
  area?: GeoBox;
}

/**
 * The FTS5 query for the words within the columns: each word a quoted string (so no word is FTS
 * syntax: quotes doubled, AND/OR/NEAR/* and parentheses are only text), every one required.
 * Words of two letters or more match as prefixes; a single letter only as itself, since a
 * one-letter prefix would match half the index.
 */
export function searchExpression(words: readonly string[], columns: readonly SearchColumn[]): string {
  const terms = words.map((word) => `"${word.replaceAll('"', '""')}"${[...word].length >= 2 ? '*' : ''}`);
  return `{${columns.join(' ')}} : (${terms.join(' AND ')})`;
}

/**
 * The matching photos' row ids as `"photo_id"`, and with `ranked` their bm25 rank as `"rank"`
 * (lower is better; the weights are the migration photo_search's), for a FROM.
 */
export function matchRows(match: PhotoMatch, ranked: boolean): SQL {
  const keywordId = sql`(SELECT "id" FROM "keywords" WHERE "key" = ${match.keywordKey ?? null})`;
  const byKeyword = sql`SELECT "photo_id" FROM "photo_keywords" WHERE "keyword_id" = ${keywordId}`;
  const noRank = sql.raw(ranked ? ', 0 AS "rank"' : '');
  if (match.words === undefined || match.columns === undefined) {
    if (match.area === undefined) return sql`SELECT "photo_id"${noRank} FROM "photo_keywords" WHERE "keyword_id" = ${keywordId}`;
    const keyword = match.keywordKey === undefined ? sql`` : sql` AND "photos"."id" IN (${byKeyword})`;
    return sql`SELECT "photos"."id" AS "photo_id"${noRank} FROM "photos" WHERE ${inArea(match.area)}${keyword}`;
  }
  const rank = sql.raw(ranked ? ', "photo_search"."rank" AS "rank"' : '');
  const keyword = match.keywordKey === undefined ? sql`` : sql` AND "photo_search"."rowid" IN (${byKeyword})`;
  const area =
    match.area === undefined ? sql`` : sql` AND "photo_search"."rowid" IN (SELECT "photos"."id" FROM "photos" WHERE ${inArea(match.area)})`;
  return sql`SELECT "photo_search"."rowid" AS "photo_id"${rank} FROM "photo_search"
              WHERE "photo_search" MATCH ${searchExpression(match.words, match.columns)}${keyword}${area}`;
}

/**
 * Photos inside the box, on `photos`: the map cells covering it as ranges of geo_cell (an
 * index seek each, see geo-cells.ts), then the exact bounds.
 */
function inArea(box: GeoBox): SQL {
  const ranges = cellRangesCovering(box).map(([first, last]) => sql`"photos"."geo_cell" BETWEEN ${first} AND ${last}`);
  const longitude =
    box.west <= box.east
      ? sql`"photos"."longitude" BETWEEN ${box.west} AND ${box.east}`
      : sql`("photos"."longitude" >= ${box.west} OR "photos"."longitude" <= ${box.east})`;
  return sql`"geo_cell" IS NOT NULL AND (${sql.join(ranges, sql` OR `)})
             AND "photos"."latitude" BETWEEN ${box.south} AND ${box.north} AND ${longitude}`;
}
