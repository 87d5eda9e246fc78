import { sql } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { photoCells } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { ValidationError } from '../errors.ts';
import { cellCount, cellOfCode, cellsTouching, FINEST_LEVEL, type GeoBox } from '../places/geo-cells.ts';
import { mayViewMap } from './access.ts';

/** The photos of one map cell: how many, their mean position and the cell's bounds (photos(filter: {area}) lists them). */
export interface PhotoCluster {
  count: number;
  latitude: number;
  longitude: number;
  bounds: GeoBox;
}

/** The most cells one answer may cover: a screen's worth at any zoom, so an answer is bounded whatever the library. */
export const MAX_MAP_CELLS = 4096;

/** photo_cells keeps every other level (the migration photo_map): a zoom reads the nearest kept level at or below it. */
export function mapLevel(zoom: number): number {
  const level = Math.min(FINEST_LEVEL, Math.max(0, Math.floor(zoom)));
  return level - (level % 2);
}

/**
 * The clusters of geotagged photos a box shows at a zoom (a cell's size at zoom z is 180 / 2^z
 * degrees): one row of photo_cells per cell in view, never a photo. The owner's alone; anyone
 * else gets none, as for a library without GPS.
 */
export function photoClusters(reads: Reads, viewer: Viewer, box: GeoBox, zoom: number): PhotoCluster[] {
  if (!Number.isInteger(zoom) || zoom < 0 || zoom > 30) throw new ValidationError('zoom', 'zoom must be a whole number from 0 to 30');
  const level = mapLevel(zoom);
  const cells = cellCount(level, box);
  if (cells > MAX_MAP_CELLS) {
    throw new ValidationError(
      'zoom',
      `the box holds ${cells} cells at zoom ${zoom}, more than ${MAX_MAP_CELLS}: give a smaller box or a lower zoom`,
    );
  }
  if (!mayViewMap(viewer)) return [];
  const rows = reads.all<{ cell: number; photos: number; latitudeSum: number; longitudeSum: number }>(
    sql`SELECT ${photoCells.cell} AS "cell", ${photoCells.photos} AS "photos", ${photoCells.latitudeSum} AS "latitudeSum",
               ${photoCells.longitudeSum} AS "longitudeSum"
          FROM ${photoCells}
         WHERE ${photoCells.level} = ${level} AND ${photoCells.cell} IN (SELECT value FROM json_each(${JSON.stringify(cellsTouching(level, box))}))
           AND ${photoCells.photos} > 0`,
  );
  return rows.map((row) => {
    const { west, south, east, north } = cellOfCode(level, row.cell);
    return {
      count: row.photos,
      latitude: row.latitudeSum / row.photos,
      longitude: row.longitudeSum / row.photos,
      bounds: { west, south, east, north },
    };
  });
}
