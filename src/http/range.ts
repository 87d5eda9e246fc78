/**
 * RFC 9110 §14: which bytes a Range header asks for. Pure, so every form can be tested
 * without a server.
 */

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export type RangeRequest =
  /** No Range, an unknown unit, or a malformed header: send the whole representation. */
  | { kind: 'full' }
  | { kind: 'partial'; ranges: ByteRange[] }
  /** Well-formed, but no range overlaps the representation: 416. */
  | { kind: 'unsatisfiable' };

/** More ranges than this are answered with the whole file: many tiny ranges are an amplification attack. */
export const MAX_RANGES = 16;

const RANGE_SPEC = /^(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (match?.[1] === undefined) return { kind: 'full' };
  const specs = match[1].split(',').map((spec) => spec.trim());
  if (specs.length > MAX_RANGES) return { kind: 'full' };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    if (spec === '') continue;
    const parts = RANGE_SPEC.exec(spec);
    if (parts === null) return { kind: 'full' };
    const [, first = '', last = ''] = parts;
    if (first === '' && last === '') return { kind: 'full' };
    if (first === '') {
      // Suffix range: the last N bytes.
      const length = Number(last);
      if (length === 0) continue;
      ranges.push({ start: Math.max(0, size - length), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === '' ? size - 1 : Number(last);
    if (last !== '' && end < start) return { kind: 'full' };
    if (start >= size) continue;
    ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (ranges.length === 0) return specs.some((spec) => spec !== '') ? { kind: 'unsatisfiable' } : { kind: 'full' };
  return { kind: 'partial', ranges };
}

/**
 * What a multipart answer should carry (§14.6): the ranges in the order asked for, unless some
 * overlap or touch, in which case they are merged and sent in file order.
 */
export function coalesceRanges(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged.length === ranges.length ? ranges : merged;
}
