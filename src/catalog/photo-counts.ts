import { type SQL, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { albumPhotos, albums, photos, photoTallies } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { type PhotoFilter, type PhotoPart, photoParts, type Tally } from './photo-filter.ts';

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
    else if (part.albumId !== undefined && part.condition === undefined) total += albumPhotoCount(reads, part.albumId);
    else total += reads.get<{ total: number }>(sql`SELECT count(*) AS "total" FROM ${partRows(part)}`)?.total ?? 0;
  }
  return total;
}

/**
 * The part's photos as the body of a FROM: those `condition` admits, or, with `albumId`, that
 * album's members meeting it, joined from the album's memberships so a count or a grouping
 * costs what the album holds, never the library.
 */
export function partRows(part: PhotoPart): SQL {
  const condition = part.condition ?? sql`1`;
  if (part.albumId === undefined) return sql`${photos} WHERE ${condition}`;
  const member = sql.raw('"member"');
  return sql`${albumPhotos} AS ${member} CROSS JOIN ${photos} ON ${photos.id} = ${member}."photo_id"
              WHERE ${member}."album_id" = ${part.albumId} AND ${condition}`;
}

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
