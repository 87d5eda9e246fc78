import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { type PhotoStatus, photos } from '../db/schema.ts';
import { mayViewCaptureDetails, photoColumnAsSeenBy, visibleAlbumRowId } from './access.ts';

/** What a photo list may be narrowed to: every condition given must hold. */
export interface PhotoFilter {
  /** Only photos of this album (by public id), if the viewer may see it. */
  albumPublicId?: string;
  statuses?: readonly PhotoStatus[];
  /** Taken at or after this instant, in ms. */
  takenAfterMs?: number;
  /** Taken before this instant, in ms. */
  takenBeforeMs?: number;
  cameraMake?: string;
}

/** Photos in one of these processing states (none: no photo). */
export function photoInStatus(statuses: readonly PhotoStatus[]): SQL {
  return statuses.length === 0 ? sql`0` : inArray(photos.status, [...statuses]);
}

/** The capture-time sort key, written exactly as its indexes are (db/schema.ts photoTakenSort). */
export const TAKEN_SORT: SQL = sql`coalesce(${photos.takenAt}, ${photos.createdAt})`;

/**
 * A capture-time range as a range of the sort key (which equals the capture time wherever there
 * is one), so the one index serves the range and the capture-time order alike.
 */
function takenBetween(viewer: Viewer, afterMs: number | undefined, beforeMs: number | undefined): SQL {
  // As seen by the viewer: a hidden capture time is NULL, and a range over it matches nothing.
  const takenAt = photoColumnAsSeenBy(viewer, 'takenAt');
  const bounds: SQL[] = [sql`${takenAt} IS NOT NULL`];
  if (afterMs !== undefined) bounds.push(sql`${TAKEN_SORT} >= ${afterMs}`);
  if (beforeMs !== undefined) bounds.push(sql`${TAKEN_SORT} < ${beforeMs}`);
  return sql.join(bounds, sql` AND `);
}

/**
 * The filter's conditions other than the album, as one SQL condition on `photos`, beside the
 * viewer's visibility that every read applies. Fields the viewer may not read are compared as
 * NULL (see photoColumnAsSeenBy), so they match nothing.
 */
export function photoFilterCondition(viewer: Viewer, filter: PhotoFilter): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (filter.statuses !== undefined) conditions.push(photoInStatus(filter.statuses));
  if (filter.takenAfterMs !== undefined || filter.takenBeforeMs !== undefined)
    conditions.push(takenBetween(viewer, filter.takenAfterMs, filter.takenBeforeMs));
  if (filter.cameraMake !== undefined) conditions.push(eq(photoColumnAsSeenBy(viewer, 'cameraMake'), filter.cameraMake));
  return and(...conditions);
}

/** The row id of the filter's album as SQL, when it names one the viewer may see (NULL when it may not). */
export function filterAlbumRowId(viewer: Viewer, filter: PhotoFilter): SQL | undefined {
  return filter.albumPublicId === undefined ? undefined : visibleAlbumRowId(viewer, filter.albumPublicId);
}

/**
 * Whether the filter can match no photo for this viewer: no state at all, or a capture detail the
 * viewer may not read (it reads as null, and null matches nothing). Such a list is empty and its
 * total 0 without a statement.
 */
export function photoFilterMatchesNothing(viewer: Viewer, filter: PhotoFilter): boolean {
  if (filter.statuses !== undefined && filter.statuses.length === 0) return true;
  const readsCaptureDetails = filter.cameraMake !== undefined || filter.takenAfterMs !== undefined || filter.takenBeforeMs !== undefined;
  return readsCaptureDetails && !mayViewCaptureDetails(viewer);
}

/**
 * The filter as filters that never overlap, each an equality an index serves in order: one per
 * state when it names several (an index on (state, key) gives one state's photos in key order,
 * not several states' together).
 */
export function photoFilterParts(filter: PhotoFilter): readonly PhotoFilter[] {
  const statuses = filter.statuses === undefined ? [] : [...new Set(filter.statuses)];
  if (statuses.length <= 1) return [filter];
  return statuses.map((status) => ({ ...filter, statuses: [status] }));
}
