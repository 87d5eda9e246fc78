import {
  credentialCheck,
  issueShareCredential,
  parseShareCredential,
  SHARE_TOKEN_PATTERN,
  shareTokenHash,
  verifySharePassword,
} from '../auth/share-tokens.ts';
import type { UnlockLimiter } from '../auth/unlock-limiter.ts';
import type { ShareGrant } from '../auth/viewer.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { RateLimitedError, ShareLinkNotFoundError, WrongPasswordError } from '../errors.ts';
import { grantOf, LiveShareLinks, MAX_PASSWORD_LENGTH, type ShareLinkRow } from './share-links.ts';
import type { ShareUsage } from './share-usage.ts';

/** The header a share link's token, or the credential an unlock gave, travels in. */
export const SHARE_HEADER = 'x-lightbox-share';

/**
 * What an X-Lightbox-Share value opens: nothing sent; a live link's grant; a live link whose
 * password has not been given (`locked`); or nothing at all (`unknown`: never existed,
 * revoked, expired, or a credential that is not ours, alike).
 */
export type ShareResolution =
  | { kind: 'none' }
  | { kind: 'granted'; grant: ShareGrant; link: ShareLinkRow }
  | { kind: 'locked'; link: ShareLinkRow }
  | { kind: 'unknown' };

export interface ShareAccessDeps {
  db: Db;
  secret: string;
  usage: ShareUsage;
  limiter: UnlockLimiter;
  /** What expiries are compared with (links' and credentials'); the system clock unless given. */
  clock?: Clock;
}

export class ShareAccess {
  private readonly live: LiveShareLinks;
  private readonly clock: Clock;

  constructor(private readonly deps: ShareAccessDeps) {
    this.live = new LiveShareLinks(deps.db);
    this.clock = deps.clock ?? systemClock;
  }

  /** One indexed lookup; a granted use is counted (in memory). */
  resolve(header: string | null | undefined, nowMs: number = this.clock()): ShareResolution {
    if (header === null || header === undefined || header.trim() === '') return { kind: 'none' };
    const value = header.trim();
    const resolution = this.lookup(value, nowMs);
    if (resolution.kind === 'granted') this.deps.usage.record(resolution.link.id, nowMs);
    return resolution;
  }

  private lookup(value: string, nowMs: number): ShareResolution {
    if (SHARE_TOKEN_PATTERN.test(value)) {
      const link = this.live.byToken(shareTokenHash(value), nowMs);
      if (link === undefined) return { kind: 'unknown' };
      return link.passwordHash === null ? { kind: 'granted', grant: grantOf(link), link } : { kind: 'locked', link };
    }
    const claimed = parseShareCredential(value);
    if (claimed === undefined) return { kind: 'unknown' };
    const link = this.live.byId(claimed.linkPublicId, nowMs);
    // The MAC is checked whether or not the link exists: what it costs tells nothing either.
    const check = credentialCheck(this.deps.secret, claimed, link?.key ?? '', nowMs);
    if (link === undefined) return { kind: 'unknown' };
    if (check === 'valid') return { kind: 'granted', grant: grantOf(link), link };
    // One this server made that no longer holds (run out, or made before a new password): the
    // holder needs the password again, not a dead end. A forged one is nothing, as for a link that
    // does not exist: its answer must not say whether the link exists or has a password.
    return check === 'stale' && link.passwordHash !== null ? { kind: 'locked', link } : { kind: 'unknown' };
  }

  /**
   * Whether a grant given earlier still holds: its link neither revoked nor expired since, its
   * key the same (a new password makes a new one). A subscription asks before each event.
   */
  stillGrants(grant: ShareGrant, nowMs: number = this.clock()): boolean {
    return this.live.byId(grant.linkPublicId, nowMs)?.key === grant.linkKey;
  }

  /** Has every other server process of the library write the uses it counted so far (before links are listed). */
  flushUsageElsewhere(): Promise<void> {
    return this.deps.usage.flushOthers();
  }

  /** Writes the uses this process counted so far (before links are listed). */
  flushUsage(): void {
    this.deps.usage.flush();
  }

  /**
   * The password, checked once, gives a credential for X-Lightbox-Share. Wrong attempts are
   * limited per link and per client address (see UnlockLimiter); a link without a password
   * unlocks with any.
   */
  async unlock(token: string, password: string, address: string, nowMs: number = this.clock()) {
    const link = SHARE_TOKEN_PATTERN.test(token) ? this.live.byToken(shareTokenHash(token), nowMs) : undefined;
    if (link === undefined) throw new ShareLinkNotFoundError();
    if (link.passwordHash !== null) {
      if (password.length > MAX_PASSWORD_LENGTH) throw new WrongPasswordError();
      const admission = await this.deps.limiter.admit(link.publicId, address);
      if (!admission.admitted) throw new RateLimitedError(admission.retryAfterSeconds);
      let right = false;
      try {
        right = await verifySharePassword(password, link.passwordHash);
      } finally {
        admission.release(right ? 'right' : 'wrong');
      }
      if (!right) throw new WrongPasswordError();
    }
    return { link, ...issueShareCredential(this.deps.secret, link.publicId, link.key, nowMs) };
  }
}
