import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../errors.ts';

/** What one live share link lets its holder see, as its row said when the request began. */
export interface ShareGrant {
  /** The link's public id: image URLs signed under it carry it as `s=`. */
  linkPublicId: string;
  /** The link's key, under every signature made for it (see share_links.key). */
  linkKey: string;
  /** Row id of the shared album. */
  albumId: number;
  allowOriginals: boolean;
  showMetadata: boolean;
  showLocation: boolean;
}

/** Who is asking. What each kind may see is decided in catalog/access.ts, nowhere else. */
export type Viewer = { kind: 'admin' } | { kind: 'anonymous' } | { kind: 'share'; grant: ShareGrant };

export const ANONYMOUS: Viewer = { kind: 'anonymous' };
export const ADMIN: Viewer = { kind: 'admin' };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The one check of who a request comes from, shared by every route that reads credentials.
 * Comparing fixed-length digests in constant time keeps the token's length and prefix from
 * leaking through timing.
 */
export class ViewerCheck {
  private readonly adminTokenDigest: Buffer;

  constructor(adminToken: string) {
    this.adminTokenDigest = digest(adminToken);
  }

  /** From the Authorization header: none is anonymous; a wrong one throws AuthenticationError. */
  fromAuthorization(header: string | null | undefined): Viewer {
    if (header === null || header === undefined || header.trim() === '') return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
    if (match?.[1] === undefined) throw new AuthenticationError('the Authorization header must be "Bearer <admin token>"');
    if (!timingSafeEqual(digest(match[1]), this.adminTokenDigest)) throw new AuthenticationError('the admin token is not valid');
    return ADMIN;
  }

  /** True only for a valid admin token; no header and a wrong one are both false. */
  isAdmin(header: string | null | undefined): boolean {
    try {
      return this.fromAuthorization(header).kind === 'admin';
    } catch {
      return false;
    }
  }
}
