import { type SQL, sql } from 'drizzle-orm';
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
  if (match.words === undefined || match.columns === undefined) {
    return sql`SELECT "photo_id"${sql.raw(ranked ? ', 0 AS "rank"' : '')} FROM "photo_keywords" WHERE "keyword_id" = ${keywordId}`;
  }
  const rank = sql.raw(ranked ? ', "photo_search"."rank" AS "rank"' : '');
  const byKeyword =
    match.keywordKey === undefined
      ? sql``
      : sql` AND "photo_search"."rowid" IN (SELECT "photo_id" FROM "photo_keywords" WHERE "keyword_id" = ${keywordId})`;
  return sql`SELECT "photo_search"."rowid" AS "photo_id"${rank} FROM "photo_search"
              WHERE "photo_search" MATCH ${searchExpression(match.words, match.columns)}${byKeyword}`;
}
