import { PUBLIC_ID_PATTERN } from '../ids.ts';
import { type ImageVariant, isImageVariant } from './variants.ts';

export const IMAGES_PREFIX = '/images/';

/** Longer than any path we hand out; anything beyond is refused before it is looked at. */
const MAX_PATH_LENGTH = 128;
const IMAGE_PATH = /^\/images\/([A-Za-z0-9_-]+)\/([a-z]+)(?:\.([a-z0-9]+))?$/;

export type ParsedImagePath =
  /** `extension` is undefined for `/images/<id>/<variant>`: the format follows the Accept header. */
  { kind: 'image'; publicId: string; variant: ImageVariant; extension: string | undefined } | { kind: 'malformed' } | { kind: 'unknown' };

/**
 * Matches the raw request path against the one shape an image URL has. Nothing is decoded:
 * `%2e%2e`, `%2f` or `..` simply fail the pattern, so no URL string can reach the file system.
 */
export function parseImagePath(pathname: string): ParsedImagePath {
  if (pathname.length > MAX_PATH_LENGTH) return { kind: 'malformed' };
  const match = IMAGE_PATH.exec(pathname);
  if (match === null) return { kind: 'malformed' };
  const [, publicId = '', variant = '', extension] = match;
  if (!PUBLIC_ID_PATTERN.test(publicId) || !isImageVariant(variant)) return { kind: 'unknown' };
  return { kind: 'image', publicId, variant, extension };
}

export interface ImageQuery {
  v: string | undefined;
  exp: string | undefined;
  sig: string | undefined;
}

const NO_QUERY: ImageQuery = { v: undefined, exp: undefined, sig: undefined };

/**
 * The three parameters an image URL may carry, read in one pass without decoding: every value
 * we issue is digits or base64url, which are never percent-encoded. Later duplicates lose.
 */
export function parseImageQuery(search: string): ImageQuery {
  if (search.length <= 1) return NO_QUERY;
  const query: ImageQuery = { v: undefined, exp: undefined, sig: undefined };
  for (const pair of search.slice(1).split('&')) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    const name = pair.slice(0, equals);
    if ((name === 'v' || name === 'exp' || name === 'sig') && query[name] === undefined) query[name] = pair.slice(equals + 1);
  }
  return query;
}
