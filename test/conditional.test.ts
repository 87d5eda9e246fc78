import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePreconditions, parseEntityTagList, strongMatch, weakMatch } from '../src/http/conditional.ts';

const ETAG = '"0123456789abcdef0123456789abcdef"';
const MTIME = Date.parse('2026-01-02T03:04:05.678Z');
const SAME_SECOND = 'Fri, 02 Jan 2026 03:04:05 GMT';
const EARLIER = 'Fri, 02 Jan 2026 03:04:04 GMT';
const LATER = 'Fri, 02 Jan 2026 03:04:06 GMT';

describe('entity tag comparison (RFC 9110 §8.8.3.2)', () => {
  it('parses lists, weak tags and *', () => {
    assert.equal(parseEntityTagList(' * '), '*');
    assert.deepEqual(parseEntityTagList('W/"a", "b",garbage, "c"'), [
      { weak: true, opaque: '"a"' },
      { weak: false, opaque: '"b"' },
      { weak: false, opaque: '"c"' },
    ]);
  });

  it('weak comparison ignores W/, strong comparison does not', () => {
    assert.equal(weakMatch(`W/${ETAG}`, ETAG), true);
    assert.equal(strongMatch(`W/${ETAG}`, ETAG), false);
    assert.equal(strongMatch(`"other", ${ETAG}`, ETAG), true);
    assert.equal(weakMatch('"other"', ETAG), false);
  });

  it('does not match a tag without quotes', () => {
    assert.equal(weakMatch(ETAG.slice(1, -1), ETAG), false);
  });
});

describe('precondition evaluation order (RFC 9110 §13.2.2)', () => {
  it('proceeds without conditional headers', () => {
    assert.equal(evaluatePreconditions({}, ETAG, MTIME), 'proceed');
  });

  it('If-None-Match: a match in a list, a weak match or * gives 304', () => {
    assert.equal(evaluatePreconditions({ ifNoneMatch: `"x", ${ETAG}` }, ETAG, MTIME), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: `W/${ETAG}` }, ETAG, MTIME), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '*' }, ETAG, MTIME), 'not-modified');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '"x"' }, ETAG, MTIME), 'proceed');
  });

  it('If-Modified-Since compares whole seconds and is ignored when If-None-Match is present', () => {
    assert.equal(evaluatePreconditions({ ifModifiedSince: SAME_SECOND }, ETAG, MTIME), 'not-modified');
    assert.equal(evaluatePreconditions({ ifModifiedSince: LATER }, ETAG, MTIME), 'not-modified');
    assert.equal(evaluatePreconditions({ ifModifiedSince: EARLIER }, ETAG, MTIME), 'proceed');
    assert.equal(evaluatePreconditions({ ifNoneMatch: '"x"', ifModifiedSince: LATER }, ETAG, MTIME), 'proceed');
    assert.equal(evaluatePreconditions({ ifModifiedSince: 'not a date' }, ETAG, MTIME), 'proceed');
  });

  it('If-Match uses strong comparison and fails with 412', () => {
    assert.equal(evaluatePreconditions({ ifMatch: ETAG }, ETAG, MTIME), 'proceed');
    assert.equal(evaluatePreconditions({ ifMatch: '*' }, ETAG, MTIME), 'proceed');
    assert.equal(evaluatePreconditions({ ifMatch: `W/${ETAG}` }, ETAG, MTIME), 'precondition-failed');
    assert.equal(evaluatePreconditions({ ifMatch: '"x"' }, ETAG, MTIME), 'precondition-failed');
  });

  it('If-Unmodified-Since applies only without If-Match', () => {
    assert.equal(evaluatePreconditions({ ifUnmodifiedSince: EARLIER }, ETAG, MTIME), 'precondition-failed');
    assert.equal(evaluatePreconditions({ ifUnmodifiedSince: SAME_SECOND }, ETAG, MTIME), 'proceed');
    assert.equal(evaluatePreconditions({ ifMatch: ETAG, ifUnmodifiedSince: EARLIER }, ETAG, MTIME), 'proceed');
  });

  it('a failed If-Match wins over a matching If-None-Match', () => {
    assert.equal(evaluatePreconditions({ ifMatch: '"x"', ifNoneMatch: ETAG }, ETAG, MTIME), 'precondition-failed');
  });
});
