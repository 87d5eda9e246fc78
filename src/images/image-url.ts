import { urlVersion } from '../catalog/photo-files.ts';
import { PUBLIC_ID_PATTERN } from '../ids.ts';
import { publicOriginalExtension } from '../media/public-original.ts';
import { type ImageFormat, type ImageVariant, isImageVariant } from '../media/variants.ts';
import { handedOutSignature, type UrlGrant } from './url-signing.ts';

/**
 * The shape of an image URL, both ways: what is handed out (`imageUrl`, through grant.ts's
 * grantFor) and what the image route accepts (`parseImagePath`, `parseImageQuery`, read by
 * grant.ts's verifyGrant). Who gets which URL is grant.ts's to say, not this file's.
 */

export const IMAGES_PREFIX = '/images/';

/** Longer than any path we hand out; anything beyond is refused before it is looked at. */
const MAX_PATH_LENGTH = 128;
/**
 * `/images/<segment>/<segment>`, each of the characters a path carries unencoded (RFC 3986's
 * pchar without `%`): the shape of a file two levels under /images/. We hand out no URL with
 * percent-encoding, and reading none means no spelling of `..` or `/` is ever decoded into one.
 */
const IMAGE_PATH_SHAPE = /^\/images\/([\w.~!$&'()*+,;=:@-]+)\/([\w.~!$&'()*+,;=:@-]+)$/;
/** The file names a photo has: `<variant>` or `<variant>.<format>`. */
const RENDITION_NAME = /^([a-z]+)(?:\.([a-z0-9]+))?$/;

/** A path naming one rendition of a photo. `extension` is undefined for `/images/<id>/<variant>`: the format follows the Accept header. */
export interface ImagePath {
  kind: 'image';
  publicId: string;
  variant: ImageVariant;
  extension: string | undefined;
}

export type ParsedImagePath = ImagePath | { kind: 'malformed' } | { kind: 'unknown' };

/** Whether the bytes a path names follow the Accept header (it names no format): then every answer about it says `Vary: Accept`. */
export function followsAccept(path: ParsedImagePath): boolean {
  return path.kind === 'image' && path.extension === undefined;
}

const MALFORMED: ParsedImagePath = { kind: 'malformed' };
const UNKNOWN: ParsedImagePath = { kind: 'unknown' };

/**
 * Matches the raw request path against the one shape an image URL has. Nothing is decoded:
 * `%2e%2e`, `%2f` or `..` simply fail the pattern, so no URL string can reach the file system.
 */
export function parseImagePath(pathname: string): ParsedImagePath {
  if (pathname.length > MAX_PATH_LENGTH) return MALFORMED;
  return parseImagePathOnce(pathname);
}

/**
 * Malformed (400) is only a path that could not name a file under a photo's folder: another
 * depth, an empty or dot segment, percent-encoding. Any other name is simply not there (404, as
 * nginx, send or sirv answer for a file that does not exist): a misspelt variant or format is a
 * missing file, not a bad request.
 */
function parseImagePathOnce(pathname: string): ParsedImagePath {
  const shape = IMAGE_PATH_SHAPE.exec(pathname);
  if (shape === null) return MALFORMED;
  const [, publicId = '', name = ''] = shape;
  if (isDotSegment(publicId) || isDotSegment(name)) return MALFORMED;
  const rendition = RENDITION_NAME.exec(name);
  if (rendition === null || !PUBLIC_ID_PATTERN.test(publicId)) return UNKNOWN;
  const [, variant = '', extension] = rendition;
  if (!isImageVariant(variant)) return UNKNOWN;
  return { kind: 'image', publicId, variant, extension };
}

/** `.` and `..` name no file: they move in the path, which a client's URL resolution should have done. */
function isDotSegment(segment: string): boolean {
  return segment === '.' || segment === '..';
}

export interface ImageQuery {
  v: string | undefined;
  exp: string | undefined;
  sig: string | undefined;
  /** `g=original`: the signature grants the untouched original (see UrlGrant). */
  g: string | undefined;
  /** `s=<share link id>`: signed under a share link, valid while the link is. */
  s: string | undefined;
}

const NO_QUERY: ImageQuery = { v: undefined, exp: undefined, sig: undefined, g: undefined, s: undefined };

/**
 * The parameters an image URL may carry, read in one pass without decoding: every value
 * we issue is digits or base64url, which are never percent-encoded. Later duplicates lose.
 */
export function parseImageQuery(search: string): ImageQuery {
  if (search.length <= 1) return NO_QUERY;
  const query: ImageQuery = { v: undefined, exp: undefined, sig: undefined, g: undefined, s: undefined };
  for (const pair of search.slice(1).split('&')) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    const name = pair.slice(0, equals);
    if ((name === 'v' || name === 'exp' || name === 'sig' || name === 'g' || name === 's') && query[name] === undefined)
      query[name] = pair.slice(equals + 1);
  }
  return query;
}

export interface UrlSigning {
  secret: string;
  /** Unix seconds; one value per request so every URL in a response expires together. */
  expiresAt: number;
  /** Set for a share link's holder: the URLs signed for them carry the link and die with it. */
  share?: { linkPublicId: string; linkKey: string };
}

export interface PhotoUrlFields {
  publicId: string;
  originalExtension: string;
  version: number;
  urlKey: string;
}

/** The URL key a `v` value names ('' for a bare version), or undefined when it is not one we make (catalog's urlVersion makes them). */
export function urlKeyOf(v: string): string | undefined {
  const match = /^\d{1,12}(?:\.([0-9a-f]{1,32}))?$/.exec(v);
  return match === null ? undefined : (match[1] ?? '');
}

/**
 * The URL handed out for a rendition (grant.ts's grantedImage decides which, for whom). It carries the photo's version, which the image
 * route answers with a year-long immutable Cache-Control; private photos also get `exp` and `sig`,
 * and a URL granting the untouched original (`grant: 'original'`, for the admin) says so in `g`,
 * under the signature. ORIGINAL keeps its own extension whatever `format` says: the uploaded
 * file's for the untouched grant, the public copy's (see publicOriginalFormat) otherwise.
 */
export function imageUrl(
  photo: PhotoUrlFields,
  variant: ImageVariant,
  format: ImageFormat,
  signing?: UrlSigning,
  grant: UrlGrant = 'view',
): string {
  const extension =
    variant !== 'original' ? format : grant === 'original' ? photo.originalExtension : publicOriginalExtension(photo.originalExtension);
  const pathname = `/images/${photo.publicId}/${variant}.${extension}`;
  const versioned = `${pathname}?v=${urlVersion(photo.version, photo.urlKey)}`;
  if (signing === undefined) return versioned;
  const signature = handedOutSignature(signing.secret, {
    pathname,
    expiresAt: signing.expiresAt,
    urlKey: photo.urlKey,
    grant,
    share: signing.share,
  });
  const share = signing.share === undefined ? '' : `&s=${signing.share.linkPublicId}`;
  return `${versioned}&exp=${signing.expiresAt}${share}&sig=${signature}${grant === 'view' ? '' : `&g=${grant}`}`;
}
