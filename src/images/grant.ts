import type { Viewer } from '../auth/viewer.ts';
import { type OriginalAccess, originalFor, seesOnlyPublicPhotos, shareGivesOriginals } from '../catalog/access.ts';
import type { PhotoFile, PhotoFileLookup } from '../catalog/photo-files.ts';
import type { SharedPhotoLookup } from '../catalog/shared-photos.ts';
import { PUBLIC_ID_PATTERN } from '../ids.ts';
import { publicOriginalFormat } from '../media/public-original.ts';
import { type ImageFormat, type ImageVariant, isImageFormat, MIME_TYPES } from '../media/variants.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { type ImagePath, imageUrl, type PhotoUrlFields, parseImageQuery, type UrlSigning, urlKeyOf } from './image-url.ts';
import { signedUrlExpiry, spendSignatureCheck, type UrlGrant, verifyImageSignature } from './url-signing.ts';

/**
 * Who may receive which image bytes, both ways, side by side: `grantFor` says which URLs a
 * viewer is handed for a photo, `verifyGrant` what bytes a URL may receive. Both decide from
 * catalog/access.ts's rules (who sees a photo, whether anyone may, what ORIGINAL gives whom,
 * what a share link shows) and nothing else decides: GraphQL asks grantFor, the image route
 * asks verifyGrant, and test/image-grants.test.ts checks that the two agree.
 *
 * - A photo anyone may load: plain URLs, the same for everyone, cacheable by anyone.
 * - Any other photo the viewer sees: URLs signed for the viewer, which expire; a share link's
 *   holder's are signed under the link, and work only while it is live and shows the photo.
 * - ORIGINAL: the uploaded bytes only under a URL signed for that grant (the admin's alone);
 *   everyone else the public copy (no metadata), or LARGE where a share link gives no originals.
 * - Every URL not handed out (unsigned for a private photo, a forged, expired or other-grant
 *   signature, a hidden or unpublished photo) is answered exactly as a photo that does not exist.
 */

// ---------------------------------------------------------------------------------------------
// Handing out: the URLs a viewer is given (GraphQL's Photo.image and Photo.srcSet).

/** What signed URLs are made with (LIGHTBOX_SECRET, LIGHTBOX_SIGNED_URL_TTL). */
export interface SigningKeys {
  secret: string;
  ttlSeconds: number;
}

/** What a photo's URLs are for one viewer in one request (see grantFor). */
export interface PhotoGrant {
  /** Signs the renditions' URLs; undefined for a photo anyone may load, whose plain URLs are everyone's. */
  readonly views: UrlSigning | undefined;
  /** What ORIGINAL hands this viewer (access.ts originalFor). */
  readonly original: OriginalAccess;
  /** This request's signing: the untouched original's URL is signed whatever the photo is. */
  readonly signing: UrlSigning;
  /** What the URLs handed under this grant depend on beyond the photo's record, for memories of made URLs. */
  readonly key: string;
}

/** A request's viewer as the grants see it: made once per request (imageViewer), so every URL of one answer expires together. */
export interface ImageViewer {
  readonly viewer: Viewer;
  /** The secret URLs are signed with (sealed cursors are made from it too). */
  readonly secret: string;
  /** The grant of every photo anyone may load, and of every other photo, for this viewer and request. */
  readonly ofPublicPhoto: PhotoGrant;
  readonly ofPrivatePhoto: PhotoGrant;
  /** This request's signing (one expiry, and the share link if any), for signed URLs other than images' (an album's download). */
  readonly urls: UrlSigning;
}

/**
 * The viewer of one request, as grantFor reads it. Expiries move in 15-minute steps
 * (signedUrlExpiry), so a page's signed URLs stay the same, and cacheable, for a while.
 */
export function imageViewer(viewer: Viewer, keys: SigningKeys, nowMs: number): ImageViewer {
  const signing: UrlSigning = {
    secret: keys.secret,
    expiresAt: signedUrlExpiry(nowMs, keys.ttlSeconds),
    // A share link's holder's URLs carry the link: they work while it shows the photo, and die with it.
    share: viewer.kind === 'share' ? { linkPublicId: viewer.grant.linkPublicId, linkKey: viewer.grant.linkKey } : undefined,
  };
  const original = originalFor(viewer);
  return {
    viewer,
    secret: keys.secret,
    ofPublicPhoto: photoGrant(undefined, original, signing),
    ofPrivatePhoto: photoGrant(signing, original, signing),
    urls: signing,
  };
}

function photoGrant(views: UrlSigning | undefined, original: OriginalAccess, signing: UrlSigning): PhotoGrant {
  const viewsKey = views === undefined ? '' : `${views.expiresAt}.${views.share?.linkPublicId ?? ''}`;
  const originalKey = original === 'untouched' ? `untouched.${signing.expiresAt}` : original;
  return { views, original, signing, key: `${viewsKey}|${originalKey}` };
}

/** A photo as grantFor reads it: a record read for the viewer, with whether anyone may load it (access.ts photoIsPublicFor). */
export interface GrantedPhoto extends PhotoUrlFields {
  inPublicAlbum: 0 | 1;
}

/**
 * What `viewer` is handed for `photo`, a record read for that viewer (so a photo it may see,
 * access.ts photoVisibleTo: nothing is ever handed for another). A photo anyone may load gets
 * plain URLs; any other gets URLs signed for this viewer. No allocation: one of two grants
 * made with the viewer. The URLs themselves come from grantedImage.
 */
export function grantFor(viewer: ImageViewer, photo: GrantedPhoto): PhotoGrant {
  return photo.inPublicAlbum ? viewer.ofPublicPhoto : viewer.ofPrivatePhoto;
}

/** The rendition a handed-out URL names (what its size is), and the URL. */
export interface GrantedImage {
  variant: ImageVariant;
  url: string;
}

/** What ORIGINAL gives where a share link gives no originals: the largest rendition. */
const LARGEST_RENDITION = 'large';

/**
 * The URL a grant hands for the rendition asked for. ORIGINAL ignores `format`: the untouched
 * original keeps the uploaded file's extension (under a `g=original` signature), the public copy
 * its own (publicOriginalFormat); LARGE in its place keeps the original's format where a
 * rendition can have it, as the original itself would.
 */
export function grantedImage(grant: PhotoGrant, photo: PhotoUrlFields, asked: ImageVariant, format: ImageFormat): GrantedImage {
  if (asked !== 'original') return { variant: asked, url: imageUrl(photo, asked, format, grant.views) };
  if (grant.original === 'untouched') return { variant: 'original', url: imageUrl(photo, 'original', format, grant.signing, 'original') };
  if (grant.original === 'public-copy') return { variant: 'original', url: imageUrl(photo, 'original', format, grant.views) };
  const kept = isImageFormat(photo.originalExtension) ? photo.originalExtension : format;
  return { variant: LARGEST_RENDITION, url: imageUrl(photo, LARGEST_RENDITION, kept, grant.views) };
}

/**
 * Whether every URL grantFor hands this viewer is plain: the same for every such viewer and
 * never expiring (a viewer who sees only public photos and is never handed the uploaded bytes).
 * Only then may an answer holding them be kept and served to another caller.
 */
export function urlsAreSharedBy(viewer: Viewer): boolean {
  return seesOnlyPublicPhotos(viewer) && originalFor(viewer) !== 'untouched';
}

// ---------------------------------------------------------------------------------------------
// Verifying: what bytes a URL may receive (the image route).

export interface CachePolicy {
  cacheControl: string;
  /** Seconds; 0 when the response must be revalidated (then no Expires is sent). */
  maxAge: number;
  /** Every holder of the URL is answered alike (not a signed URL's countdown): the answer's 304 headers can be kept. */
  uniform: boolean;
}

/** A public photo at a URL other than its current one: anyone may keep it, and must ask again before each use. */
const PUBLIC_REVALIDATE: CachePolicy = { cacheControl: 'public, no-cache', maxAge: 0, uniform: true };
/**
 * Kept only by the holder, checked on every use: a share link's images (checked against the
 * link each time, browsers' copies included), and a signed URL at another version.
 */
const PRIVATE_REVALIDATE: CachePolicy = { cacheControl: 'private, no-cache', maxAge: 0, uniform: true };

/** A public photo at its current URL: immutable for `maxAge` seconds (LIGHTBOX_PUBLIC_MAX_AGE); 0 means every use revalidates. */
function publicCachePolicy(maxAge: number): CachePolicy {
  return maxAge > 0 ? { cacheControl: `public, max-age=${maxAge}, immutable`, maxAge, uniform: true } : PUBLIC_REVALIDATE;
}

/** What a URL's parameters let it receive of a photo's files. */
interface Access {
  /** The uploaded bytes as they are (a `g=original` signature, only ever made for the admin). */
  untouched: boolean;
  policy: CachePolicy;
}

export interface GrantChecksOptions {
  photos: PhotoFileLookup;
  /** Whether a share link a URL was signed under (`s=`) is live and shows the photo. */
  sharedPhotos: SharedPhotoLookup;
  layout: StorageLayout;
  secret: string;
  /** The longest a URL may have been signed for: an `exp` further away was not made by us. */
  maxTtlSeconds: number;
  /** How long a public photo at its current URL may be cached (LIGHTBOX_PUBLIC_MAX_AGE). */
  publicMaxAgeSeconds: number;
  /** The time now, in ms, that signatures' expiries are compared with (Date.now unless a test moves it). */
  clock?: () => number;
}

/** What verifyGrant checks URLs against, made once per server (grantChecks). */
export interface GrantChecks {
  readonly photos: PhotoFileLookup;
  readonly sharedPhotos: SharedPhotoLookup;
  readonly layout: StorageLayout;
  readonly secret: string;
  readonly maxTtlSeconds: number;
  readonly clock: () => number;
  /** A public photo's answer at its current URL, and at any other; a share link's: made once, as every holder gets them alike. */
  readonly publicCurrent: Access;
  readonly publicStale: Access;
  readonly shared: Access;
}

export function grantChecks(options: GrantChecksOptions): GrantChecks {
  return {
    photos: options.photos,
    sharedPhotos: options.sharedPhotos,
    layout: options.layout,
    secret: options.secret,
    maxTtlSeconds: options.maxTtlSeconds,
    clock: options.clock ?? Date.now,
    publicCurrent: { untouched: false, policy: publicCachePolicy(options.publicMaxAgeSeconds) },
    publicStale: { untouched: false, policy: PUBLIC_REVALIDATE },
    shared: { untouched: false, policy: PRIVATE_REVALIDATE },
  };
}

/** What one image URL may receive: one file of one photo, its type, and how the answer may be cached. */
export interface ImageGrant {
  /** The photo whose file it is (a rendition not made yet is made from its original). */
  readonly photo: PhotoFile;
  readonly variant: ImageVariant;
  /** The rendition's format; undefined for ORIGINAL, which keeps the original's (or its public copy's). */
  readonly format: ImageFormat | undefined;
  /** The uploaded file itself, metadata and all: never rendered, so when missing it is an error. */
  readonly untouched: boolean;
  /** Where the bytes are, or will be once rendered. */
  readonly path: string;
  readonly contentType: string;
  readonly policy: CachePolicy;
  /** The URL names no format: its bytes follow Accept, and every answer about them says `Vary: Accept`. */
  readonly varyAccept: boolean;
}

/**
 * What bytes the URL `pathname` + `search` may receive, or undefined: then it is answered
 * exactly as a photo that does not exist, in status, headers, body and time, whether no such
 * photo exists, it is hidden from the URL's holder, the signature is missing, wrong, expired or
 * for another grant, the URL key was rotated, or the photo has no such file. `accepted` is the
 * format an extensionless URL's rendition gets (the route reads it from Accept).
 */
export function verifyGrant(
  checks: GrantChecks,
  path: ImagePath | { kind: 'unknown' },
  pathname: string,
  search: string,
  accepted: ImageFormat | undefined,
): ImageGrant | undefined {
  const photo = path.kind === 'image' ? checks.photos.find(path.publicId) : undefined;
  if (path.kind !== 'image' || photo === undefined) {
    // Nothing to check a signature against: spend what checking one costs, so time tells nothing either.
    if (search.length > 1) spendSignatureCheck(checks.secret, pathname, parseImageQuery(search).sig);
    return undefined;
  }
  const access = accessOf(checks, photo, path.variant, pathname, search);
  return access === undefined ? undefined : grantedFile(checks, photo, path, access, accepted);
}

/**
 * What a URL's parameters let its holder receive of the photo, and how the answer may be
 * cached; undefined is not found. Public photos (access.ts photoIsPublic): anyone, immutable at
 * the current version, else revalidated. Any other: only with a valid signature, cached
 * privately no longer than it stays valid. The untouched original: only with a signature made
 * for that grant (access.ts originalFor: the admin's alone), whatever the photo is. URLs signed
 * under a share link: only while the link is live and its album holds the photo (and, for
 * ORIGINAL, while it gives originals: access.ts shareGivesOriginals), revalidated on every use.
 */
function accessOf(checks: GrantChecks, photo: PhotoFile, variant: ImageVariant, pathname: string, search: string): Access | undefined {
  const query = parseImageQuery(search);
  const current = query.v === photo.versionText;
  // A URL naming another key was handed out before the photo was last unpublished: dead for good.
  // (Only a `v` that is not the current one needs reading: the common request skips the regex.)
  if (!current && query.v !== undefined) {
    const claimedKey = urlKeyOf(query.v);
    if (claimedKey !== undefined && claimedKey !== '' && claimedKey !== photo.urlKey) {
      spendSignatureCheck(checks.secret, pathname, query.sig);
      return undefined;
    }
  }
  const grant: UrlGrant = query.g === 'original' ? 'original' : 'view';
  if (photo.isPublic && grant === 'view') return current ? checks.publicCurrent : checks.publicStale;
  let share: { linkPublicId: string; linkKey: string } | undefined;
  if (query.s !== undefined) {
    // A share link's holder is never handed the untouched original (originalFor), so no such URL is signed under one.
    const shared = grant === 'view' && PUBLIC_ID_PATTERN.test(query.s) ? checks.sharedPhotos.find(query.s, photo.publicId) : undefined;
    if (shared === undefined || (variant === 'original' && !shareGivesOriginals(shared))) {
      spendSignatureCheck(checks.secret, pathname, query.sig);
      return undefined;
    }
    share = { linkPublicId: query.s, linkKey: shared.linkKey };
  }
  const remaining = verifyImageSignature(
    checks.secret,
    { pathname, expiresAt: query.exp, urlKey: photo.urlKey, grant, share },
    query.sig,
    checks.clock(),
    checks.maxTtlSeconds,
  );
  if (remaining === undefined) return undefined;
  if (share !== undefined) return checks.shared;
  const policy: CachePolicy = current
    ? { cacheControl: `private, max-age=${remaining}, immutable`, maxAge: remaining, uniform: false }
    : PRIVATE_REVALIDATE;
  return { untouched: grant === 'original', policy };
}

/**
 * The file the access opens for the path: for ORIGINAL the uploaded file (untouched) or its
 * public copy, the same image at full size without its metadata, whose format may differ (HEIF
 * becomes JPEG); else the rendition in the format named, or accepted. A format the photo has no
 * file in is not found.
 */
function grantedFile(
  checks: GrantChecks,
  photo: PhotoFile,
  path: ImagePath,
  access: Access,
  accepted: ImageFormat | undefined,
): ImageGrant | undefined {
  const varyAccept = path.extension === undefined;
  if (path.variant === 'original') {
    const served = access.untouched ? photo : publicOriginalFormat(photo);
    if (path.extension !== undefined && path.extension !== served.extension) return undefined;
    return {
      photo,
      variant: 'original',
      format: undefined,
      untouched: access.untouched,
      path: access.untouched ? photo.originalPath : checks.layout.derivedPath(photo.publicId, 'original', photo.version, served.extension),
      contentType: served.mimeType,
      policy: access.policy,
      varyAccept,
    };
  }
  const format = path.extension ?? accepted;
  if (format === undefined || !isImageFormat(format)) return undefined;
  return {
    photo,
    variant: path.variant,
    format,
    untouched: false,
    path: checks.layout.derivedPath(photo.publicId, path.variant, photo.version, format),
    contentType: MIME_TYPES[format],
    policy: access.policy,
    varyAccept,
  };
}
