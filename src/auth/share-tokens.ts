import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The secrets of a share link: the token in its URL, its password, and the credential an
 * unlock hands out. Tokens and passwords are stored only as hashes.
 */

/** 192 bits from the CSPRNG, as 32 base64url characters. */
const TOKEN_BYTES = 24;
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
/** How much of a token a list shows: enough to tell links apart, far too little to guess the rest. */
const TOKEN_PREFIX_LENGTH = 6;

export interface NewShareToken {
  token: string;
  hash: string;
  prefix: string;
}

export function newShareToken(): NewShareToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: shareTokenHash(token), prefix: token.slice(0, TOKEN_PREFIX_LENGTH) };
}

/**
 * SHA-256, hex. Links are looked up by this hash, so lookup timing can only ever tell an
 * attacker about the hash of a guess, never about the token; a token's 192 random bits need
 * no slow hash.
 */
export function shareTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new random key for a link (see share_links.key). */
export function newShareKey(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * scrypt with N=2^15, r=8, p=1 (32 MB, about 50-100 ms here): the cost OWASP recommends. It
 * runs on libuv's thread pool, never on the event loop; the unlock limiter bounds how many
 * run at once.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
const HASH_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { ...params, maxmem: SCRYPT_MAXMEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url), parameters kept so they can be raised later. */
export async function hashSharePassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifySharePassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** How long the credential an unlock returns works: long enough to look through an album, short enough to lose without worry. */
export const UNLOCK_TTL_SECONDS = 60 * 60;

export interface ShareCredential {
  linkPublicId: string;
  /** Unix seconds. */
  expiresAt: number;
}

function credentialMac(secret: string, linkPublicId: string, linkKey: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`share-unlock\n${linkPublicId}\n${linkKey}\n${expiresAt}`).digest('base64url');
}

/** Says the server issued a credential for this link and expiry, whatever the link's key is now. */
function issuedMac(secret: string, linkPublicId: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`share-issued\n${linkPublicId}\n${expiresAt}`).digest('base64url').slice(0, 22);
}

/**
 * `<link public id>.<expiry>.<issued>.<mac>`: sent in X-Lightbox-Share in place of the token.
 * It names its link, so it is never looked up by hash; `mac` covers the link's key, so a new
 * password (or revoking the link) ends it; `issued` does not, so a credential this server made
 * under an old password asks for the new one, while a forged one is told nothing.
 */
export function issueShareCredential(
  secret: string,
  linkPublicId: string,
  linkKey: string,
  nowMs: number,
): { credential: string; expiresAt: number } {
  const expiresAt = Math.floor(nowMs / 1000) + UNLOCK_TTL_SECONDS;
  const issued = issuedMac(secret, linkPublicId, expiresAt);
  return { credential: `${linkPublicId}.${expiresAt}.${issued}.${credentialMac(secret, linkPublicId, linkKey, expiresAt)}`, expiresAt };
}

/** What a credential claims, before its link is looked up; undefined when it is not shaped like one. */
export function parseShareCredential(value: string): ClaimedCredential | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match === null) return undefined;
  return { linkPublicId: match[1] as string, expiresAt: Number(match[2]), issued: match[3] as string, mac: match[4] as string };
}

type ClaimedCredential = ShareCredential & { issued: string; mac: string };

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What a credential is: valid for the link's key now; one this server issued that no longer
 * holds (run out, or made before a new password); or not one it made. Both MACs are always
 * computed, whether or not the link exists (then `linkKey` is empty).
 */
export function credentialCheck(secret: string, claimed: ClaimedCredential, linkKey: string, nowMs: number): 'valid' | 'stale' | 'forged' {
  const issued = sameText(claimed.issued, issuedMac(secret, claimed.linkPublicId, claimed.expiresAt));
  const current = sameText(claimed.mac, credentialMac(secret, claimed.linkPublicId, linkKey, claimed.expiresAt));
  if (!issued) return 'forged';
  return current && claimed.expiresAt > Math.floor(nowMs / 1000) ? 'valid' : 'stale';
}
