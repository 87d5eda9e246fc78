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
