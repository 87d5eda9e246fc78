import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { type PhotoStatus, photos } from '../db/schema.ts';
import type { GeoBox } from '../places/geo-cells.ts';
import {
  mayViewCaptureDetails,
  mayViewCuration,
  mayViewKeywords,
  mayViewMap,
  type PhotoScope,
  photoColumnAsSeenBy,
  photoScopeCondition,
  photoScopesOf,
  searchColumnsFor,
  visibleAlbumRowId,
} from './access.ts';
import type { PhotoMatch } from './photo-search.ts';
import { MAX_RATING } from './validation.ts';

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
  /** Only favourites. */
  favorite?: true;
  /** Only photos rated this many stars (1-5) or more. */
  minRating?: number;
  /** With minRating: exactly this many stars (one part of what minRating admits, see equalityParts). */
  rating?: number;
  /** Words (catalog/validation.ts searchWords) every photo's searchable text must hold; none matches nothing. */
  searchWords?: readonly string[];
  /** Only photos with this keyword, by its keywordKey. */
  keywordKey?: string;
  /** Only photos taken inside this box (the owner's map). */
  area?: GeoBox;
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
function photoFilterCondition(viewer: Viewer, filter: PhotoFilter): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (filter.statuses !== undefined) conditions.push(photoInStatus(filter.statuses));
  if (filter.takenAfterMs !== undefined || filter.takenBeforeMs !== undefined)
    conditions.push(takenBetween(viewer, filter.takenAfterMs, filter.takenBeforeMs));
  if (filter.cameraMake !== undefined) conditions.push(eq(photoColumnAsSeenBy(viewer, 'cameraMake'), filter.cameraMake));
  // Literals that repeat the partial indexes' conditions (db/schema.ts), so the planner may use them.
  if (filter.favorite) conditions.push(sql.raw('"photos"."favorite" = 1'));
  if (filter.rating !== undefined) conditions.push(sql.raw(`"photos"."rating" > 0 AND "photos"."rating" = ${Math.trunc(filter.rating)}`));
  return and(...conditions);
}

/**
 * Whether the filter can match no photo for this viewer: no state at all, or a capture detail the
 * viewer may not read (it reads as null, and null matches nothing). Such a list is empty and its
 * total 0 without a statement.
 */
function matchesNothing(viewer: Viewer, filter: PhotoFilter): boolean {
  if (filter.statuses !== undefined && filter.statuses.length === 0) return true;
  if ((filter.favorite !== undefined || filter.minRating !== undefined) && !mayViewCuration(viewer)) return true;
  if (filter.searchWords !== undefined && filter.searchWords.length === 0) return true;
  if (filter.keywordKey !== undefined && !mayViewKeywords(viewer)) return true;
  if (filter.area !== undefined && !mayViewMap(viewer)) return true;
  const readsCaptureDetails = filter.cameraMake !== undefined || filter.takenAfterMs !== undefined || filter.takenBeforeMs !== undefined;
  return readsCaptureDetails && !mayViewCaptureDetails(viewer);
}

/**
 * The filter as filters that never overlap, each an equality an index serves in order: one per
 * state when it names several (an index on (state, key) gives one state's photos in key order,
 * not several states' together).
 */
function equalityParts(filter: PhotoFilter): readonly PhotoFilter[] {
  const statuses = filter.statuses === undefined ? [] : [...new Set(filter.statuses)];
  const byStatus = statuses.length <= 1 ? [filter] : statuses.map((status) => ({ ...filter, statuses: [status] }));
  if (filter.minRating === undefined) return byStatus;
  // A rating of at least n as the ratings n..5, each an equality the rated index serves in order.
  const ratings = Array.from({ length: MAX_RATING - filter.minRating + 1 }, (_, index) => (filter.minRating as number) + index);
  return byStatus.flatMap((part) => ratings.map((rating) => ({ ...part, rating })));
}

/** A count photo_tallies keeps: an audience's photos in all, of one camera make, or in one state. */
export interface Tally {
  audience: 'all' | 'public';
  facet: '' | 'make' | 'status';
  value: string;
}

function tallyOf(audience: Tally['audience'], filter: PhotoFilter): Tally | undefined {
  const { statuses, cameraMake, takenAfterMs, takenBeforeMs } = filter;
  if (takenAfterMs !== undefined || takenBeforeMs !== undefined) return undefined;
  if (filter.favorite !== undefined || filter.minRating !== undefined) return undefined;
  if (filter.searchWords !== undefined || filter.keywordKey !== undefined || filter.area !== undefined) return undefined;
  if (statuses !== undefined && cameraMake !== undefined) return undefined;
  if (cameraMake !== undefined) return { audience, facet: 'make', value: cameraMake };
  if (statuses !== undefined) return { audience, facet: 'status', value: statuses[0] as string };
  return { audience, facet: '', value: '' };
}

/**
 * One part of what the viewer may see that the filter admits, read in order from one index: the
 * photos meeting `condition`, or, with `albumId`, one album's members meeting it. A list reads
 * each part's page and merges them; a total adds the parts' counts, read from `tally` where the
 * database keeps one. Parts never overlap.
 */
export interface PhotoPart {
  albumId?: SQL;
  condition: SQL | undefined;
  tally?: Tally;
  /** Read from the photos this matches (photo-search.ts matchRows) rather than from an index of photos. */
  match?: PhotoMatch;
}

/**
 * The parts of the viewer's scopes (access.ts photoScopesOf) × the filter's equalities. A filter
 * by album reads that album alone: every photo of an album the viewer may see is one the viewer
 * may see (visibleAlbumRowId).
 */
export function photoParts(viewer: Viewer, filter: PhotoFilter): readonly PhotoPart[] {
  if (matchesNothing(viewer, filter)) return [];
  // `scope` decides what a search may match in (searchColumnsFor); an album the viewer may see is searched as public photos are.
  const sources: { albumId?: SQL; condition?: SQL; scope: PhotoScope; audience?: Tally['audience'] }[] =
    filter.albumPublicId !== undefined
      ? [
          {
            albumId: visibleAlbumRowId(viewer, filter.albumPublicId),
            scope: viewer.kind === 'admin' ? { kind: 'all' } : { kind: 'public' },
          },
        ]
      : photoScopesOf(viewer).map((scope) =>
          scope.kind === 'album'
            ? { albumId: sql`${scope.albumId}`, condition: photoScopeCondition(scope), scope }
            : { condition: photoScopeCondition(scope), scope, audience: scope.kind },
        );
  return sources.flatMap((source) =>
    equalityParts(filter).map((part) => ({
      albumId: source.albumId,
      condition: and(source.condition, photoFilterCondition(viewer, part)),
      tally: source.audience === undefined ? undefined : tallyOf(source.audience, part),
      match: matchOf(viewer, source.scope, part),
    })),
  );
}

/** The part's search and keyword, the search only within what the viewer may read in that scope. */
function matchOf(viewer: Viewer, scope: PhotoScope, filter: PhotoFilter): PhotoMatch | undefined {
  if (filter.searchWords === undefined && filter.keywordKey === undefined && filter.area === undefined) return undefined;
  return {
    keywordKey: filter.keywordKey,
    area: filter.area,
    ...(filter.searchWords === undefined ? {} : { words: filter.searchWords, columns: searchColumnsFor(viewer, scope) }),
  };
}
