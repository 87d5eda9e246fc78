import { type SQL, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { albumPhotos, albums, photos, photoTallies } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { type PhotoFilter, type PhotoPart, photoParts, type Tally } from './photo-filter.ts';
import { matchRows } from './photo-search.ts';

/**
 * How many photos the viewer may see pass the filter: the parts photoPage reads (photoParts),
 * each counted, so a list and its total agree. What the database keeps counted is read, not
 * counted again: an album's photos (albums.photo_count) and the tallies (photo_tallies); anything
 * else is counted over the index the page reads, so it costs what it matches, never the library.
 */
export function photoCount(reads: Reads, viewer: Viewer, filter: PhotoFilter): number {
  let total = 0;
  for (const part of photoParts(viewer, filter)) {
    if (part.tally !== undefined) total += tallied(reads, part.tally);
    else if (part.albumId !== undefined && part.condition === undefined && part.match === undefined)
      total += albumPhotoCount(reads, part.albumId);
    else total += reads.get<{ total: number }>(sql`SELECT count(*) AS "total" FROM ${partRows(part)}`)?.total ?? 0;
  }
  return total;
}

/**
 * The part's photos as the body of a FROM: those `condition` admits, or, with `albumId`, that
 * album's members meeting it, joined from the album's memberships so a count or a grouping
 * costs what the album holds, never the library; with a match (a search, a keyword), joined
 * from the matches, so it costs what they hold.
 */
export function partRows(part: PhotoPart): SQL {
  const { from, where } = partSource(part, false);
  return sql`${from} WHERE ${where}`;
}

/**
 * partRows as its FROM and its WHERE, for a page to add its bounds to; `ranked` gives the
 * matches' rank as `"match"."rank"`. Each join is a CROSS JOIN, which SQLite keeps in the order
 * written: the smaller side (the matches, the album) always drives.
 */
export function partSource(part: PhotoPart, ranked: boolean): { from: SQL; where: SQL } {
  const condition = part.condition ?? sql`1`;
  const matches = part.match === undefined ? undefined : sql`(${matchRows(part.match, ranked)}) AS ${MATCH}`;
  if (part.albumId === undefined) {
    const from = matches === undefined ? sql`${photos}` : sql`${matches} CROSS JOIN ${photos} ON ${photos.id} = ${MATCH}."photo_id"`;
    return { from, where: condition };
  }
  const members = sql`${albumPhotos} AS ${MEMBER}`;
  const from =
    matches === undefined
      ? sql`${members} CROSS JOIN ${photos} ON ${photos.id} = ${MEMBER}."photo_id"`
      : sql`${matches} CROSS JOIN ${members} ON ${MEMBER}."album_id" = ${part.albumId} AND ${MEMBER}."photo_id" = ${MATCH}."photo_id"
             CROSS JOIN ${photos} ON ${photos.id} = ${MEMBER}."photo_id"`;
  return { from, where: sql`${MEMBER}."album_id" = ${part.albumId} AND ${condition}` };
}

const MEMBER = sql.raw('"member"');
const MATCH = sql.raw('"match"');

function albumPhotoCount(reads: Reads, albumId: SQL): number {
  return (
    reads.get<{ total: number }>(sql`SELECT ${albums.photoCount} AS "total" FROM ${albums} WHERE ${albums.id} = ${albumId}`)?.total ?? 0
  );
}

/** The count photo_tallies keeps. */
export function tallied(reads: Reads, { audience, facet, value }: Tally): number {
  const row = reads.get<{ total: number }>(
    sql`SELECT ${photoTallies.photos} AS "total" FROM ${photoTallies}
         WHERE ${photoTallies.audience} = ${audience} AND ${photoTallies.facet} = ${facet} AND ${photoTallies.value} = ${value}`,
  );
  return row?.total ?? 0;
}
