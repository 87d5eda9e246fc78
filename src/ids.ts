import { randomBytes } from 'node:crypto';

const PUBLIC_ID_BYTES = 16;
export const PUBLIC_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** 128 random bits, URL-safe: unguessable, so an image URL reveals nothing about its neighbours. */
export function newPublicId(): string {
  return randomBytes(PUBLIC_ID_BYTES).toString('base64url');
}
