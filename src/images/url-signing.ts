import { createHmac, timingSafeEqual } from 'node:crypto';

/** Expiries are rounded up to this step so a private URL stays the same, and cacheable, for a while. */
const EXPIRY_STEP_SECONDS = 15 * 60;

/** Unix seconds at which a URL signed now stops working: at least `ttlSeconds` away. */
export function signedUrlExpiry(nowMs: number, ttlSeconds: number): number {
  const earliest = Math.ceil(nowMs / 1000) + ttlSeconds;
  return Math.ceil(earliest / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
}

/**
 * What a signed URL lets its holder receive: `view` the image as anyone allowed to see the
 * photo gets it; `original` the untouched uploaded bytes, metadata and all (only the admin is
 * ever handed such a URL). The grant is inside the signature, so one cannot become the other.
 */
export type UrlGrant = 'view' | 'original';

export interface SignedImage {
  pathname: string;
  /** Unix seconds. */
  expiresAt: number;
  /** The photo's URL key: a key rotated since (the photo was unpublished) voids the URL. */
  urlKey: string;
  grant: UrlGrant;
  /** The share link the URL was handed out under: it works only while that link is live and shows the photo. */
  share?: { linkPublicId: string; linkKey: string };
}

/**
 * base64url HMAC-SHA256 over the path, the expiry, the photo's URL key, the grant and the share
 * link (its id and key) if any: what grant.ts's grantFor hands out and verifyGrant checks.
 */
export function imageSignature(secret: string, signed: SignedImage): string {
  return hmac(secret, signedText(signed));
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

function signedText(signed: SignedImage): string {
  const share = signed.share === undefined ? '' : `\nshare\n${signed.share.linkPublicId}\n${signed.share.linkKey}`;
  return `${signed.pathname}\n${signed.expiresAt}\n${signed.urlKey}\n${signed.grant}${share}`;
}

/** Signatures this server made for URLs it handed out, by signed text, for the secret in force; past this many the memory starts over. */
const SIGNATURES_KEPT = 50_000;
const handedOut = new Map<string, Map<string, string>>();

/**
 * `imageSignature` for URLs this server hands out: expiries move in 15-minute steps, so the
 * admin's library asks for the same few hundred signatures on every page until the step
 * turns, and an HMAC costs far more than a lookup. Only what the server itself signs is kept;
 * signatures checked on requests are always computed.
 */
export function handedOutSignature(secret: string, signed: SignedImage): string {
  let kept = handedOut.get(secret);
  if (kept === undefined || kept.size >= SIGNATURES_KEPT) {
    // One secret is in force at a time: the memory of an old one goes.
    handedOut.clear();
    kept = new Map();
    handedOut.set(secret, kept);
  }
  const text = signedText(signed);
  let signature = kept.get(text);
  if (signature === undefined) {
    signature = hmac(secret, text);
    kept.set(text, signature);
  }
  return signature;
}

/**
 * The work of checking a signature that fails, for a request that names nothing to check it
 * against (no such photo, a dead URL key, no such share link): a bogus signature on a hidden
 * photo must cost what one on a missing photo costs, or the time tells which it is.
 */
export function spendSignatureCheck(secret: string, pathname: string, signature: string | undefined): void {
  if (signature === undefined) return;
  const expected = Buffer.from(imageSignature(secret, { pathname, expiresAt: 0, urlKey: '', grant: 'view' }));
  const given = Buffer.from(signature);
  if (given.length === expected.length) timingSafeEqual(given, expected);
}

/**
 * Seconds of validity left, or undefined when the signature is missing, wrong or expired, or
 * when `exp` lies further ahead than any URL signed with `maxTtlSeconds` can (a signature over
 * a far-future `exp` is never one we made, however it was obtained).
 */
export function verifyImageSignature(
  secret: string,
  claimed: Omit<SignedImage, 'expiresAt'> & { expiresAt: string | undefined },
  signature: string | undefined,
  nowMs: number,
  maxTtlSeconds: number,
): number | undefined {
  const expiresAt = claimed.expiresAt;
  if (expiresAt === undefined || signature === undefined || !/^\d{1,12}$/.test(expiresAt)) return undefined;
  const remaining = Number(expiresAt) - Math.floor(nowMs / 1000);
  if (remaining <= 0 || remaining > maxTtlSeconds + EXPIRY_STEP_SECONDS) return undefined;
  const expected = Buffer.from(imageSignature(secret, { ...claimed, expiresAt: Number(expiresAt) }));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return remaining;
}
