/**
 * An EXIF orientation (1-8) as a mirror then a clockwise turn: 2, 4, 5 and 7 mirror the stored
 * pixels left to right first; then 1/2 turn 0°, 6/7 90°, 3/4 180°, 8/5 270°.
 */
const UNMIRRORED = [1, 6, 3, 8] as const;
const MIRRORED = [2, 7, 4, 5] as const;

/** The orientation that shows what `orientation` shows, turned `quarterTurns` more clockwise: how a stripped JPEG carries the owner's rotation losslessly. */
export function turnedOrientation(orientation: number, quarterTurns: number): number {
  const mirrored = (MIRRORED as readonly number[]).includes(orientation);
  const turns = mirrored ? MIRRORED.indexOf(orientation as 2) : Math.max(0, UNMIRRORED.indexOf(orientation as 1));
  return (mirrored ? MIRRORED : UNMIRRORED)[(turns + quarterTurns) % 4] as number;
}

/** Quarter turns clockwise after `by` more, 0-3 (a negative `by` turns counter-clockwise). */
export function addQuarterTurns(quarterTurns: number, by: number): number {
  return (((quarterTurns + by) % 4) + 4) % 4;
}
