import { and, type SQL, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { albumPhotos, albums, photos, photoTallies } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { photoScopeCondition, photoScopesOf } from './access.ts';
import { filterAlbumRowId, type PhotoFilter, photoFilterCondition, photoFilterMatchesNothing, photoFilterParts } from './photo-filter.ts';

/**
 * How many photos the viewer may see pass the filter: the same scopes and conditions as
 * photoPage, so a list and its total agree. What the database keeps counted is read, not
 * counted again: an album's photos (albums.photo_count), and a scope's photos in all, per camera
 * make and per state (photo_tallies); anything else is counted over the index the page reads,
 * so it costs what it matches, never the library.
 */
export function photoCount(reads: Reads, viewer: Viewer, filter: PhotoFilter): number {
  if (photoFilterMatchesNothing(viewer, filter)) return 0;
  const albumId = filterAlbumRowId(viewer, filter);
  let total = 0;
  for (const part of photoFilterParts(filter)) {
    const condition = photoFilterCondition(viewer, part);
    if (albumId !== undefined) {
      total += condition === undefined ? albumPhotoCount(reads, albumId) : albumMembersCount(reads, albumId, condition);
      continue;
    }
    for (const scope of photoScopesOf(viewer)) {
      const within = and(photoScopeCondition(scope), condition);
      if (scope.kind === 'album') total += albumMembersCount(reads, sql`${scope.albumId}`, within as SQL);
      else total += talliedCount(reads, scope.kind, part) ?? countWhere(reads, within);
    }
  }
  return total;
}

function countWhere(reads: Reads, condition: SQL | undefined): number {
  return reads.get<{ total: number }>(sql`SELECT count(*) AS "total" FROM ${photos} WHERE ${condition ?? sql`1`}`)?.total ?? 0;
}

function albumPhotoCount(reads: Reads, albumId: SQL): number {
  return (
    reads.get<{ total: number }>(sql`SELECT ${albums.photoCount} AS "total" FROM ${albums} WHERE ${albums.id} = ${albumId}`)?.total ?? 0
  );
}

/** One album's photos that meet `condition`: counted over the album (what it holds), never the library. */
function albumMembersCount(reads: Reads, albumId: SQL, condition: SQL): number {
  const member = sql.raw('"member"');
  return (
    reads.get<{ total: number }>(
      sql`SELECT count(*) AS "total" FROM ${albumPhotos} AS ${member} CROSS JOIN ${photos} ON ${photos.id} = ${member}."photo_id"
           WHERE ${member}."album_id" = ${albumId} AND ${condition}`,
    )?.total ?? 0
  );
}

/** The count photo_tallies keeps for the audience and filter, when it keeps one: all its photos, one camera make, or one state. */
function talliedCount(reads: Reads, audience: 'all' | 'public', filter: PhotoFilter): number | undefined {
  const { statuses, cameraMake, takenAfterMs, takenBeforeMs } = filter;
  if (takenAfterMs !== undefined || takenBeforeMs !== undefined) return undefined;
  if (statuses !== undefined && cameraMake !== undefined) return undefined;
  if (cameraMake !== undefined) return tally(reads, audience, 'make', cameraMake);
  if (statuses !== undefined) return tally(reads, audience, 'status', statuses[0] as string);
  return tally(reads, audience, '', '');
}

function tally(reads: Reads, audience: 'all' | 'public', facet: '' | 'make' | 'status', value: string): number {
  const row = reads.get<{ total: number }>(
    sql`SELECT ${photoTallies.photos} AS "total" FROM ${photoTallies}
         WHERE ${photoTallies.audience} = ${audience} AND ${photoTallies.facet} = ${facet} AND ${photoTallies.value} = ${value}`,
  );
  return row?.total ?? 0;
}
