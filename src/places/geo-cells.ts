/**
 * A position on a grid of square cells in latitude and longitude (plate carrée), nested by
 * level: at level L a cell is 180 / 2^L degrees wide, 2^(L+1) across and 2^L down. A photo's
 * `geo_cell` is its cell at the finest level, as a Z-order (Morton) code, so its cell at any
 * coarser level is the code shifted right by two bits a level (photo_cells, by trigger) and the
 * photos of a coarse cell are one range of codes (an index seek).
 */
export const FINEST_LEVEL = 12;

/** Cells of `level` holding the position, as its column and row (row 0 at the north). */
function cellAt(level: number, latitude: number, longitude: number): { x: number; y: number } {
  const rows = 2 ** level;
  const size = 180 / rows;
  const x = Math.min(2 * rows - 1, Math.max(0, Math.floor((longitude + 180) / size)));
  const y = Math.min(rows - 1, Math.max(0, Math.floor((90 - latitude) / size)));
  return { x, y };
}

/** The finest cell's code of a position, or null for none (or one off the globe). */
export function geoCellOf(latitude: number | null, longitude: number | null): number | null {
  if (latitude === null || longitude === null || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  const { x, y } = cellAt(FINEST_LEVEL, latitude, longitude);
  return cellCode(FINEST_LEVEL, x, y);
}

/** The code of cell (x, y) of `level`: x's top bit (east or west half), then y and x's bits interleaved. */
export function cellCode(level: number, x: number, y: number): number {
  let code = 0;
  for (let bit = level - 1; bit >= 0; bit--) code = code * 4 + ((y >> bit) & 1) * 2 + ((x >> bit) & 1);
  return (x >> level) * 4 ** level + code;
}

/** The cell of a code at `level`, and its bounds in degrees. */
export function cellOfCode(
  level: number,
  code: number,
): { x: number; y: number; west: number; south: number; east: number; north: number } {
  const half = Math.floor(code / 4 ** level);
  let rest = code % 4 ** level;
  let x = 0;
  let y = 0;
  for (let bit = level - 1; bit >= 0; bit--) {
    const pair = Math.floor(rest / 4 ** bit);
    rest %= 4 ** bit;
    y |= (pair >> 1) << bit;
    x |= (pair & 1) << bit;
  }
  x += half << level;
  const size = 180 / 2 ** level;
  return { x, y, west: -180 + x * size, east: -180 + (x + 1) * size, north: 90 - y * size, south: 90 - (y + 1) * size };
}

export interface GeoBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** Columns west..east and rows north..south of one level, inclusive. */
interface CellSpan {
  west: number;
  east: number;
  north: number;
  south: number;
}

/**
 * The cells of `level` a box touches, as spans of columns and rows. A box whose west edge is
 * east of its east edge crosses the antimeridian: it is the two boxes on either side of it.
 */
function cellSpans(level: number, box: GeoBox): CellSpan[] {
  if (box.west > box.east) return [...cellSpans(level, { ...box, east: 180 }), ...cellSpans(level, { ...box, west: -180 })];
  const northWest = cellAt(level, box.north, box.west);
  const southEast = cellAt(level, box.south, box.east);
  return [{ west: northWest.x, east: southEast.x, north: northWest.y, south: southEast.y }];
}

/** The codes of the cells of `level` a box touches. */
export function cellsTouching(level: number, box: GeoBox): number[] {
  const codes: number[] = [];
  for (const span of cellSpans(level, box)) {
    for (let y = span.north; y <= span.south; y++) {
      for (let x = span.west; x <= span.east; x++) codes.push(cellCode(level, x, y));
    }
  }
  return codes;
}

/** How many cells of `level` a box touches, without listing them. */
export function cellCount(level: number, box: GeoBox): number {
  return cellSpans(level, box).reduce((sum, span) => sum + (span.south - span.north + 1) * (span.east - span.west + 1), 0);
}

/** The most ranges an area is read as: the finest level whose cells covering it are no more. */
const MAX_COVERING_CELLS = 16;

/**
 * The box as ranges of finest-level codes: the cells of the finest level at which at most
 * MAX_COVERING_CELLS touch it, each cell one range (neighbours merged).
 */
export function cellRangesCovering(box: GeoBox): [number, number][] {
  let level = FINEST_LEVEL;
  while (level > 0 && cellCount(level, box) > MAX_COVERING_CELLS) level--;
  const span = 4 ** (FINEST_LEVEL - level);
  const codes = cellsTouching(level, box).sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const code of codes) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] + 1 === code * span) last[1] = (code + 1) * span - 1;
    else ranges.push([code * span, (code + 1) * span - 1]);
  }
  return ranges;
}

/**
 * geoCellOf as SQL over two column expressions (NULL off the globe): the migration photo_map
 * wrote the same to place the photos geotagged before it, and a library built by INSERT … SELECT
 * (bench/lib/scale-library.ts) places its copies with it.
 */
export function geoCellSql(latitudeExpression: string, longitudeExpression: string): string {
  // Whole expressions may come in ("x / 10.0 - 70"): each is one operand here.
  const latitude = `(${latitudeExpression})`;
  const longitude = `(${longitudeExpression})`;
  const size = `(180.0 / ${2 ** FINEST_LEVEL})`;
  const x = `min(${2 * 2 ** FINEST_LEVEL - 1}, max(0, CAST((${longitude} + 180) / ${size} AS INTEGER)))`;
  const y = `min(${2 ** FINEST_LEVEL - 1}, max(0, CAST((90 - ${latitude}) / ${size} AS INTEGER)))`;
  const bits = [`((${x} >> ${FINEST_LEVEL}) << ${2 * FINEST_LEVEL})`];
  for (let bit = 0; bit < FINEST_LEVEL; bit++)
    bits.push(`(((${y} >> ${bit}) & 1) << ${2 * bit + 1})`, `(((${x} >> ${bit}) & 1) << ${2 * bit})`);
  return `CASE WHEN ${latitude} BETWEEN -90 AND 90 AND ${longitude} BETWEEN -180 AND 180 THEN ${bits.join(' | ')} END`;
}
