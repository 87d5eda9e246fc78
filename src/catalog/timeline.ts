import { sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { photos, photoTimeline, type TimelineBucketSize } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { mayViewCaptureDetails } from './access.ts';
import { partRows, photoCount, tallied } from './photo-counts.ts';
import { type PhotoFilter, type PhotoPart, photoParts } from './photo-filter.ts';

export { TIMELINE_BUCKET_SIZES, type TimelineBucketSize } from '../db/schema.ts';

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

/** strftime's modifier for each size: as the migration photo_timeline computes each bucket's start. */
const START_OF: Record<TimelineBucketSize, string> = { DAY: 'start of day', MONTH: 'start of month', YEAR: 'start of year' };

/** Photos per bucket start (ms); `null` counts those without a capture time. */
type Counts = Map<number | null, number>;

/**
 * The viewer's photos that pass the filter, counted per bucket, newest first, the undated last;
 * buckets without photos are left out. It reads the parts a list reads (photoParts), so each
 * bucket agrees with the list of its range: a part the database keeps counted (photo_timeline:
 * the whole library, or all public photos) is one row per bucket answered, never a photo; any
 * other (a filter, a share link's album) is counted over the index its list reads, so it costs
 * what it matches.
 */
export function timeline(reads: Reads, viewer: Viewer, filter: PhotoFilter, size: TimelineBucketSize): TimelineBucket[] {
  if (!mayViewCaptureDetails(viewer)) {
    const count = photoCount(reads, viewer, filter);
    return count === 0 ? [] : [{ startMs: null, endMs: null, count }];
  }
  const counts: Counts = new Map();
  for (const part of photoParts(viewer, filter)) {
    const counted = part.tally !== undefined && part.tally.facet === '' ? keptCounts(reads, part, size) : groupedCounts(reads, part, size);
    for (const [start, count] of counted) counts.set(start, (counts.get(start) ?? 0) + count);
  }
  return bucketsOf(counts, size);
}

/** A whole audience's buckets, from photo_timeline; the undated are its total (photo_tallies) less the dated. */
function keptCounts(reads: Reads, part: PhotoPart, size: TimelineBucketSize): Counts {
  const tally = part.tally as NonNullable<PhotoPart['tally']>;
  const rows = reads.all<{ start: number; photos: number }>(
    sql`SELECT ${photoTimeline.start} AS "start", ${photoTimeline.photos} AS "photos" FROM ${photoTimeline}
         WHERE ${photoTimeline.audience} = ${tally.audience} AND ${photoTimeline.size} = ${size} AND ${photoTimeline.photos} > 0`,
  );
  const counts: Counts = new Map();
  let dated = 0;
  for (const row of rows) {
    counts.set(row.start, row.photos);
    dated += row.photos;
  }
  const undated = tallied(reads, tally) - dated;
  if (undated > 0) counts.set(null, undated);
  return counts;
}

/** Any other part, grouped by bucket over the part's own rows (an album's members, or the photos its condition admits). */
function groupedCounts(reads: Reads, part: PhotoPart, size: TimelineBucketSize): Counts {
  const start = sql`CAST(strftime('%s', ${photos.takenAt} / 1000.0, 'unixepoch', ${START_OF[size]}) AS INTEGER) * 1000`;
  const rows = reads.all<{ start: number | null; photos: number }>(
    sql`SELECT ${start} AS "start", count(*) AS "photos" FROM ${partRows(part)} GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.start, row.photos]));
}

function bucketsOf(counts: Counts, size: TimelineBucketSize): TimelineBucket[] {
  const dated: TimelineBucket[] = [];
  for (const [startMs, count] of counts) {
    if (startMs !== null && count > 0) dated.push({ startMs, endMs: bucketEnd(startMs, size), count });
  }
  dated.sort((a, b) => (b.startMs as number) - (a.startMs as number));
  const undated = counts.get(null) ?? 0;
  return undated > 0 ? [...dated, { startMs: null, endMs: null, count: undated }] : dated;
}

/** The start of the next bucket, in UTC. */
function bucketEnd(startMs: number, size: TimelineBucketSize): number {
  const end = new Date(startMs);
  if (size === 'DAY') end.setUTCDate(end.getUTCDate() + 1);
  else if (size === 'MONTH') end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  return end.getTime();
}
