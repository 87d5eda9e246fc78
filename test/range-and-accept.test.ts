import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateFormat } from '../src/http/accept.ts';
import { ifRangeMatches } from '../src/http/conditional.ts';
import { coalesceRanges, MAX_RANGES, parseRange } from '../src/http/range.ts';

describe('Range parsing (RFC 9110 §14.1.2)', () => {
  const size = 1000;
  const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', ranges: [{ start: 0, end: 99 }] }],
    ['bytes=500-', { kind: 'partial', ranges: [{ start: 500, end: 999 }] }],
    ['bytes=-100', { kind: 'partial', ranges: [{ start: 900, end: 999 }] }],
    ['bytes=-5000', { kind: 'partial', ranges: [{ start: 0, end: 999 }] }],
    ['bytes=900-5000', { kind: 'partial', ranges: [{ start: 900, end: 999 }] }],
    ['BYTES = 0-0', { kind: 'partial', ranges: [{ start: 0, end: 0 }] }],
    [
      'bytes=0-1, 5-9',
      {
        kind: 'partial',
        ranges: [
          { start: 0, end: 1 },
          { start: 5, end: 9 },
        ],
      },
    ],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000, 3000-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000, 0-0', { kind: 'partial', ranges: [{ start: 0, end: 0 }] }],
    ['bytes=9-5', { kind: 'full' }],
    ['bytes=abc', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['items=0-5', { kind: 'full' }],
    ['bytes=0-1;2-3', { kind: 'full' }],
    ['0-100', { kind: 'full' }],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected.kind}`, () => {
      assert.deepEqual(parseRange(header, size), expected);
    });
  }

  it('an empty representation cannot satisfy any range', () => {
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  });

  it(`more than ${MAX_RANGES} ranges get the whole file`, () => {
    const many = Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',');
    assert.deepEqual(parseRange(`bytes=${many}`, size), { kind: 'full' });
  });

  it('keeps the requested order when no ranges overlap', () => {
    const ranges = [
      { start: 100, end: 199 },
      { start: 0, end: 9 },
    ];
    assert.deepEqual(coalesceRanges(ranges), ranges);
  });

  it('coalesces overlapping and adjacent ranges', () => {
    assert.deepEqual(
      coalesceRanges([
        { start: 50, end: 60 },
        { start: 0, end: 10 },
        { start: 5, end: 20 },
        { start: 21, end: 30 },
      ]),
      [
        { start: 0, end: 30 },
        { start: 50, end: 60 },
      ],
    );
  });
});

describe('If-Range (RFC 9110 §13.1.5)', () => {
  const etag = '"abc"';
  const mtime = Date.parse('2026-01-01T00:00:00.250Z');
  const lastModified = 'Thu, 01 Jan 2026 00:00:00 GMT';
  const later = mtime + 60_000;

  it('matches the same strong entity tag only', () => {
    assert.equal(ifRangeMatches('"abc"', etag, mtime, later), true);
    assert.equal(ifRangeMatches('W/"abc"', etag, mtime, later), false);
    assert.equal(ifRangeMatches('"abd"', etag, mtime, later), false);
  });

  it('matches the exact Last-Modified date, once it is a strong validator', () => {
    assert.equal(ifRangeMatches(lastModified, etag, mtime, later), true);
    assert.equal(ifRangeMatches('Thu, 01 Jan 2026 00:00:01 GMT', etag, mtime, later), false);
    assert.equal(ifRangeMatches(lastModified, etag, mtime, mtime + 100), false, 'modified within the same second');
    assert.equal(ifRangeMatches('garbage', etag, mtime, later), false);
  });
});

describe('format negotiation for extensionless URLs', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'jpg'],
    ['', 'jpg'],
    ['*/*', 'jpg'],
    ['image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'avif'],
    ['image/webp,*/*', 'webp'],
    ['image/avif;q=0, image/webp', 'webp'],
    ['IMAGE/AVIF', 'avif'],
    ['image/png,image/*;q=0.8', 'jpg'],
  ];
  for (const [accept, expected] of cases) {
    it(`${JSON.stringify(accept)} → ${expected}`, () => {
      assert.equal(negotiateFormat(accept), expected);
    });
  }
});
