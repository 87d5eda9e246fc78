/**
 * RFC 9110 §13: when a GET or HEAD is answered with 304 or 412 instead of the representation.
 * Pure functions over header values, so every branch can be tested without a server.
 */

export type PreconditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

export interface ConditionalHeaders {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

interface EntityTag {
  weak: boolean;
  opaque: string;
}

const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/** Parses `*` or a comma-separated list of entity tags; malformed members are dropped. */
export function parseEntityTagList(value: string): '*' | EntityTag[] {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tags: EntityTag[] = [];
  for (const member of trimmed.split(',')) {
    const match = ENTITY_TAG.exec(member.trim());
    if (match?.[2] !== undefined) tags.push({ weak: match[1] !== undefined, opaque: match[2] });
  }
  return tags;
}

function parseEntityTag(value: string): EntityTag | undefined {
  const match = ENTITY_TAG.exec(value.trim());
  return match?.[2] === undefined ? undefined : { weak: match[1] !== undefined, opaque: match[2] };
}

/** §8.8.3.2 strong comparison: both strong, same opaque tag. `current` is always one of ours. */
export function strongMatch(list: string, current: string): boolean {
  const tags = parseEntityTagList(list);
  if (tags === '*') return true;
  const ours = parseEntityTag(current);
  if (ours === undefined || ours.weak) return false;
  return tags.some((tag) => !tag.weak && tag.opaque === ours.opaque);
}

/** §8.8.3.2 weak comparison: same opaque tag, either may be weak. */
export function weakMatch(list: string, current: string): boolean {
  // The common revalidation sends back exactly the tag it was given: no parsing needed.
  if (list === current) return true;
  const tags = parseEntityTagList(list);
  if (tags === '*') return true;
  const ours = parseEntityTag(current);
  if (ours === undefined) return false;
  return tags.some((tag) => tag.opaque === ours.opaque);
}

/** An HTTP-date in any of the three §5.6.7 forms, as epoch milliseconds; undefined when invalid. */
export function parseHttpDate(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Last-Modified carries whole seconds, so comparisons must drop the sub-second part of mtime. */
export function toHttpDateSeconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000) * 1000;
}

/**
 * §13.2.2 evaluation order for a GET or HEAD of an existing representation:
 * If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since.
 */
export function evaluatePreconditions(headers: ConditionalHeaders, etag: string, mtimeMs: number): PreconditionOutcome {
  const lastModified = toHttpDateSeconds(mtimeMs);
  if (headers.ifMatch !== undefined) {
    if (!strongMatch(headers.ifMatch, etag)) return 'precondition-failed';
  } else if (headers.ifUnmodifiedSince !== undefined) {
    const since = parseHttpDate(headers.ifUnmodifiedSince);
    if (since !== undefined && lastModified > since) return 'precondition-failed';
  }
  if (headers.ifNoneMatch !== undefined) {
    if (weakMatch(headers.ifNoneMatch, etag)) return 'not-modified';
  } else if (headers.ifModifiedSince !== undefined) {
    const since = parseHttpDate(headers.ifModifiedSince);
    if (since !== undefined && lastModified <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * §13.1.5 If-Range: a Range is honoured only if the representation is still the one the
 * client has part of. An entity tag must match strongly; a date must equal Last-Modified
 * exactly, and only counts when Last-Modified is itself strong (a second or more in the past).
 */
export function ifRangeMatches(ifRange: string, etag: string, mtimeMs: number, nowMs: number): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const given = parseEntityTag(value);
    return given !== undefined && !given.weak && given.opaque === etag;
  }
  const date = parseHttpDate(value);
  if (date === undefined) return false;
  const lastModified = toHttpDateSeconds(mtimeMs);
  return date === lastModified && nowMs - lastModified >= 1000;
}
