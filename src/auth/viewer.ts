import { createHash, timingSafeEqual } from 'node:crypto';

export type Viewer = { kind: 'admin' } | { kind: 'anonymous' };

export const ANONYMOUS: Viewer = { kind: 'anonymous' };
export const ADMIN: Viewer = { kind: 'admin' };

/** A credential was presented and it is wrong: never silently treated as anonymous. */
export class AuthenticationError extends Error {}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Who is asking, from the Authorization header. Comparing fixed-length digests in constant
 * time keeps the token's length and prefix from leaking through timing.
 */
export function viewerFromAuthorization(header: string | null | undefined, adminTokenDigest: Buffer): Viewer {
  if (header === null || header === undefined || header.trim() === '') return ANONYMOUS;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (match?.[1] === undefined) throw new AuthenticationError('the Authorization header must be "Bearer <admin token>"');
  if (!timingSafeEqual(digest(match[1]), adminTokenDigest)) throw new AuthenticationError('the admin token is not valid');
  return ADMIN;
}

/** True only for a valid admin token; no header and a wrong one are both false. */
export function isAdminAuthorization(header: string | null | undefined, adminTokenDigest: Buffer): boolean {
  try {
    return viewerFromAuthorization(header, adminTokenDigest).kind === 'admin';
  } catch {
    return false;
  }
}

export function tokenDigest(token: string): Buffer {
  return digest(token);
}
