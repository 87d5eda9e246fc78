import { randomBytes } from 'node:crypto';

const PUBLIC_ID_BYTES = 16;
/** The characters of a public id (base64url), for patterns that must recognise one inside a longer string. */
export const PUBLIC_ID_CHARS = 'A-Za-z0-9_-';
/** Exactly what `newPublicId` makes: 128 bits as 22 base64url characters. */
export const PUBLIC_ID_PATTERN = new RegExp(`^[${PUBLIC_ID_CHARS}]{22}$`);

/** 128 random bits, URL-safe: unguessable, so an image URL reveals nothing about its neighbours. */
export function newPublicId(): string {
  return randomBytes(PUBLIC_ID_BYTES).toString('base64url');
}

/** A photo's URL key: 48 random bits as hex, the same form the database makes when it rotates one (see catalog/url-keys.ts). */
export function newUrlKey(): string {
  return randomBytes(6).toString('hex');
}
