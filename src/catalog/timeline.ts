import { type SQL, sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { photoDays, photos } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { mayViewCaptureDetails } from './access.ts';
import { photoCount, tallied } from './photo-counts.ts';
import { type PhotoFilter, type PhotoPart, photoParts } from './photo-filter.ts';

export const TIMELINE_BUCKET_SIZES = ['DAY', 'MONTH', 'YEAR'] as const;
export type TimelineBucketSize = (typeof TIMELINE_BUCKET_SIZES)[number];

/**
 * How many photos were taken in [startMs, endMs), a UTC day, month or year: exactly the photos a
 * list filtered by takenAfter = start and takenBefore = end holds. The photos without a capture
 * time (or whose capture time the viewer may not read) are one bucket of their own, with no
 * bounds.
 */
export interface TimelineBucket {
  startMs: number | null;
  endMs: number | null;
  count: number;
}

const DAY_MS = 86_400_000;

/** taken_at as a UTC day number, floored (a photo from before 1970 too): as the migration photo_days computes it. */
const TAKEN_DAY: SQL = sql`(${photos.takenAt} - ((${photos.takenAt} % ${sql.raw(String(DAY_MS))}) + ${sql.raw(String(DAY_MS))}) % ${sql.raw(String(DAY_MS))}) / ${sql.raw(String(DAY_MS))}`;

/** Photos per capture day; `null` counts those without one. */
type DayCounts = Map<number | null, number>;

/**
 * The viewer's photos that pass the filter, counted per bucket, newest first, the undated last;
 * buckets without photos are left out. It reads the parts a list reads (photoParts), so each
 * bucket agrees with the list of its range: a part the database keeps counted per day
 * (photo_days: the whole library, or all public photos) is one row per day with photos, never
 * the photos; any other (a filter, a share link's album) is counted over the index its list
 * reads, so it costs what it matches.
 */
export function timeline(reads: Reads, viewer: Viewer, filter: PhotoFilter, size: TimelineBucketSize): TimelineBucket[] {
  if (!mayViewCaptureDetails(viewer)) {
    const count = photoCount(reads, viewer, filter);
    return count === 0 ? [] : [{ startMs: null, endMs: null, count }];
  }
  const days: DayCounts = new Map();
  for (const part of photoParts(viewer, filter)) {
    const counted = part.tally !== undefined && part.tally.facet === '' ? keptDays(reads, part) : countedDays(reads, part);
    for (const [day, count] of counted) days.set(day, (days.get(day) ?? 0) + count);
  }
  return bucketsOf(days, size);
}

/** A whole audience's days, from photo_days; the undated are its total (photo_tallies) less the dated. */
function keptDays(reads: Reads, part: PhotoPart): DayCounts {
  const tally = part.tally as NonNullable<PhotoPart['tally']>;
  const rows = reads.all<{ day: number; photos: number }>(
    sql`SELECT ${photoDays.day} AS "day", ${photoDays.photos} AS "photos" FROM ${photoDays}
         WHERE ${photoDays.audience} = ${tally.audience} AND ${photoDays.photos} > 0`,
  );
  const days: DayCounts = new Map();
  let dated = 0;
  for (const row of rows) {
    days.set(row.day, row.photos);
    dated += row.photos;
  }
  const undated = tallied(reads, tally) - dated;
  if (undated > 0) days.set(null, undated);
  return days;
}

/** Any other part, grouped by day over the part's own rows (an album's members, or the photos its condition admits). */
function countedDays(reads: Reads, part: PhotoPart): DayCounts {
  const day = sql`CASE WHEN ${photos.takenAt} IS NULL THEN NULL ELSE ${TAKEN_DAY} END`;
  const from =
    part.albumId === undefined
      ? sql`${photos} WHERE ${part.condition ?? sql`1`}`
      : sql`"album_photos" AS "member" CROSS JOIN ${photos} ON ${photos.id} = "member"."photo_id"
             WHERE "member"."album_id" = ${part.albumId} AND ${part.condition ?? sql`1`}`;
  const rows = reads.all<{ day: number | null; photos: number }>(sql`SELECT ${day} AS "day", count(*) AS "photos" FROM ${from} GROUP BY 1`);
  return new Map(rows.map((row) => [row.day, row.photos]));
}

function bucketsOf(days: DayCounts, size: TimelineBucketSize): TimelineBucket[] {
  const buckets = new Map<number, TimelineBucket>();
  let undated = 0;
  for (const [day, count] of days) {
    if (count <= 0) continue;
    if (day === null) {
      undated += count;
      continue;
    }
    const [startMs, endMs] = bucketAround(day * DAY_MS, size);
    const bucket = buckets.get(startMs);
    if (bucket === undefined) buckets.set(startMs, { startMs, endMs, count });
    else bucket.count += count;
  }
  const dated = [...buckets.values()].sort((a, b) => (b.startMs as number) - (a.startMs as number));
  return undated > 0 ? [...dated, { startMs: null, endMs: null, count: undated }] : dated;
}

/** The UTC day, month or year holding the instant, as [start, end) in ms. */
export function bucketAround(instantMs: number, size: TimelineBucketSize): [number, number] {
  if (size === 'DAY') {
    const start = Math.floor(instantMs / DAY_MS) * DAY_MS;
    return [start, start + DAY_MS];
  }
  const date = new Date(instantMs);
  const year = date.getUTCFullYear();
  if (size === 'YEAR') return [utcMonthStart(year, 0), utcMonthStart(year + 1, 0)];
  const month = date.getUTCMonth();
  return [utcMonthStart(year, month), utcMonthStart(year, month + 1)];
}

/** Midnight UTC on the first of the month (Date.UTC would read years 0-99 as 1900-1999). */
function utcMonthStart(year: number, month: number): number {
  const start = new Date(0);
  start.setUTCFullYear(year, month, 1);
  return start.getTime();
}
