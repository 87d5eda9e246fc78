import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { keywords, photoKeywords } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { ValidationError } from '../errors.ts';
import { keywordKey, MAX_KEYWORDS_PER_PHOTO } from './validation.ts';

/**
 * The photos' keywords by photo row id, each photo's by name (photos without any are absent):
 * one statement for every photo of a page.
 */
export function keywordsOfPhotos(reads: Reads, photoIds: readonly number[]): ReadonlyMap<number, readonly string[]> {
  if (photoIds.length === 0) return new Map();
  return reads.made(
    sql`SELECT ${photoKeywords.photoId} AS "photoId", ${keywords.name} AS "name"
          FROM ${photoKeywords} CROSS JOIN ${keywords} ON ${keywords.id} = ${photoKeywords.keywordId}
         WHERE ${photoKeywords.photoId} IN (SELECT value FROM json_each(${JSON.stringify(photoIds)}))
         ORDER BY ${keywords.key}`,
    keywordsByPhoto,
  );
}

/** Made once per remembered read (Reads.made). */
function keywordsByPhoto(rows: readonly { photoId: number; name: string }[]): ReadonlyMap<number, readonly string[]> {
  const byPhoto = new Map<number, string[]>();
  for (const { photoId, name } of rows) {
    const list = byPhoto.get(photoId);
    if (list === undefined) byPhoto.set(photoId, [name]);
    else list.push(name);
  }
  return byPhoto;
}

/** The row ids of these keywords (valid names, see validKeywords), made where new. */
function keywordIds(tx: Queryable, names: readonly string[]): number[] {
  if (names.length === 0) return [];
  tx.insert(keywords)
    .values(names.map((name) => ({ name, key: keywordKey(name) })))
    .onConflictDoNothing()
    .run();
  const keys = JSON.stringify(names.map(keywordKey));
  return tx
    .select({ id: keywords.id })
    .from(keywords)
    .where(sql`${keywords.key} IN (SELECT value FROM json_each(${keys}))`)
    .all()
    .map((row) => row.id);
}

/** Gives every photo these keywords (those it has stay); refused if a photo would carry more than MAX_KEYWORDS_PER_PHOTO. */
export function addKeywords(tx: Queryable, photoIds: readonly number[], names: readonly string[]): void {
  const ids = keywordIds(tx, names);
  if (ids.length === 0 || photoIds.length === 0) return;
  // As two lists crossed in SQL: 1,000 photos × 100 keywords as parameters would pass SQLite's limit.
  tx.run(
    sql`INSERT INTO ${photoKeywords} (${sql.identifier(photoKeywords.photoId.name)}, ${sql.identifier(photoKeywords.keywordId.name)})
        SELECT "photo"."value", "keyword"."value" FROM json_each(${JSON.stringify(photoIds)}) AS "photo", json_each(${JSON.stringify(ids)}) AS "keyword"
        WHERE true ON CONFLICT DO NOTHING`,
  );
  const crowded = tx
    .select({ photoId: photoKeywords.photoId })
    .from(photoKeywords)
    .where(sql`${photoKeywords.photoId} IN (SELECT value FROM json_each(${JSON.stringify(photoIds)}))`)
    .groupBy(photoKeywords.photoId)
    .having(sql`count(*) > ${MAX_KEYWORDS_PER_PHOTO}`)
    .get();
  if (crowded !== undefined) throw new ValidationError('keywords', `a photo may carry at most ${MAX_KEYWORDS_PER_PHOTO} keywords`);
}

/** Takes these keywords off every photo (a keyword left on no photo goes, by the trigger photo_search_keyword_out). */
export function removeKeywords(tx: Queryable, photoIds: readonly number[], names: readonly string[]): void {
  if (names.length === 0 || photoIds.length === 0) return;
  tx.delete(photoKeywords)
    .where(
      sql`${photoKeywords.photoId} IN (SELECT value FROM json_each(${JSON.stringify(photoIds)}))
          AND ${photoKeywords.keywordId} IN (SELECT ${keywords.id} FROM ${keywords} WHERE ${keywords.key} IN (SELECT value FROM json_each(${JSON.stringify(names.map(keywordKey))})))`,
    )
    .run();
}

/** The photo's keywords are exactly these afterwards. */
export function setKeywords(tx: Queryable, photoId: number, names: readonly string[]): void {
  const keep = JSON.stringify(names.map(keywordKey));
  tx.delete(photoKeywords)
    .where(
      sql`${photoKeywords.photoId} = ${photoId}
          AND ${photoKeywords.keywordId} NOT IN (SELECT ${keywords.id} FROM ${keywords} WHERE ${keywords.key} IN (SELECT value FROM json_each(${keep})))`,
    )
    .run();
  addKeywords(tx, [photoId], names);
}
