import { ADMIN, type Viewer } from '../auth/viewer.ts';
import type { DownloadAccess } from '../catalog/access.ts';
import { type DownloadableAlbum, downloadableAlbum } from '../catalog/album-download.ts';
import { grantOf, type LiveShareLinks } from '../catalog/share-links.ts';
import type { Reads } from '../db/statements.ts';
import { PUBLIC_ID_PATTERN } from '../ids.ts';
import { parseImageQuery, type UrlSigning } from './image-url.ts';
import { handedOutSignature, spendSignatureCheck, type UrlGrant, verifyImageSignature } from './url-signing.ts';

/**
 * An album's ZIP download URL, both ways: `albumDownloadUrl` makes what GraphQL's
 * Album.download hands out, `parseDownloadPath` reads the path back for the download route. A
 * browser follows a plain link without headers, so the URL is the credential: signed, expiring
 * (url-signing.ts, as image URLs are), over the path, the grant (the uploaded files, or the
 * public copies) and, under a share link, the link's id and key, so a revoked link, or one given
 * a new password, voids it. Who gets which is catalog/access.ts's downloadFor.
 */

export const DOWNLOAD_PREFIX = '/download/';

const DOWNLOAD_PATH = /^\/download\/albums\/([A-Za-z0-9_-]{1,64})\.zip$/;

/** The URL's grant inside the signature: the untouched files are signed as ORIGINAL's are (`g=original`), the copies as what viewers are shown. */
export function downloadGrant(access: DownloadAccess): UrlGrant {
  return access === 'untouched' ? 'original' : 'view';
}

export function albumDownloadPath(albumPublicId: string): string {
  return `/download/albums/${albumPublicId}.zip`;
}

/** The album's public id a download path names, or undefined for any other path. */
export function parseDownloadPath(pathname: string): string | undefined {
  const id = DOWNLOAD_PATH.exec(pathname)?.[1];
  return id !== undefined && PUBLIC_ID_PATTERN.test(id) ? id : undefined;
}

/** Root-relative, like image URLs; expires with the rest of the answer's signed URLs (signing.expiresAt). */
export function albumDownloadUrl(signing: UrlSigning, albumPublicId: string, access: DownloadAccess): string {
  const pathname = albumDownloadPath(albumPublicId);
  const share = access === 'public-copy' ? signing.share : undefined;
  const signature = handedOutSignature(signing.secret, {
    pathname,
    expiresAt: signing.expiresAt,
    urlKey: '',
    grant: downloadGrant(access),
    share,
  });
  return `${pathname}?exp=${signing.expiresAt}${share === undefined ? '' : `&s=${share.linkPublicId}`}&sig=${signature}`;
}

/** What the download route checks URLs against, made once per server. */
export interface DownloadChecks {
  reads: Reads;
  links: LiveShareLinks;
  secret: string;
  /** The longest a URL may have been signed for (LIGHTBOX_SIGNED_URL_TTL): an `exp` further away was not made by us. */
  maxTtlSeconds: number;
  clock: () => number;
}

/** What a verified download URL gives: the album, as whom, and whether that still holds (a link revoked meanwhile ends the download). */
export interface VerifiedDownload {
  viewer: Viewer;
  album: DownloadableAlbum;
  stillAllowed(): boolean;
}

/**
 * What the URL `pathname` + `search` may download, or undefined: then it is answered exactly as
 * a path that does not exist, whether the album is unknown or hidden, the signature missing,
 * forged, tampered with, expired or for another grant, or the share link it was signed under
 * revoked, expired, given a new password or never giving originals. Without `s=` the URL can only
 * be the admin's (the uploaded files); with it, only that link's holder's (the public copies).
 */
export function verifyDownload(checks: DownloadChecks, pathname: string, search: string): VerifiedDownload | undefined {
  const query = parseImageQuery(search);
  const albumPublicId = parseDownloadPath(pathname);
  const nowMs = checks.clock();
  const link = query.s !== undefined && PUBLIC_ID_PATTERN.test(query.s) ? checks.links.byId(query.s, nowMs) : undefined;
  const viewer: Viewer = link === undefined ? ADMIN : { kind: 'share', grant: grantOf(link) };
  const album =
    albumPublicId === undefined || (query.s !== undefined && link === undefined)
      ? undefined
      : downloadableAlbum(checks.reads, viewer, albumPublicId);
  if (album === undefined) {
    // Nothing to check a signature against: spend what checking one costs, so time tells nothing either.
    spendSignatureCheck(checks.secret, pathname, query.sig);
    return undefined;
  }
  const share = link === undefined ? undefined : { linkPublicId: link.publicId, linkKey: link.key };
  const remaining = verifyImageSignature(
    checks.secret,
    { pathname, expiresAt: query.exp, urlKey: '', grant: downloadGrant(album.access), share },
    query.sig,
    nowMs,
    checks.maxTtlSeconds,
  );
  if (remaining === undefined) return undefined;
  const stillAllowed = share === undefined ? always : () => checks.links.byId(share.linkPublicId, checks.clock())?.key === share.linkKey;
  return { viewer, album, stillAllowed };
}

const always = () => true;
