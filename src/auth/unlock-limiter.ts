import { LRUCache } from 'lru-cache';
import { type Clock, systemClock } from '../clock.ts';

/**
 * Wrong passwords allowed per share link and per client address in a window. Past either,
 * unlocking is refused, without hashing, until the window ends. The link's limit lets a
 * crowd of addresses lock a link's password out for a while; holders of a credential keep
 * their access, and the owner can make a new link.
 */
export const UNLOCK_LIMITS = {
  perLink: 20,
  perAddress: 10,
  windowMs: 10 * 60 * 1000,
  /** Password hashes computed at once, across every link: scrypt takes a thread-pool thread and 32 MB each. */
  hashingAtOnce: 2,
  /** Unlocks waiting for a hashing slot; past it, refused as busy. */
  waiting: 32,
} as const;

interface Window {
  startedAt: number;
  failures: number;
}

export type UnlockAdmission =
  | { admitted: true; release(outcome: 'right' | 'wrong'): void }
  | { admitted: false; retryAfterSeconds: number };

/**
 * Fixed windows counted from the first failure. An attempt counts as a failure from the moment
 * it is admitted (so a burst in parallel cannot slip past the count) and is taken back when the
 * password proves right.
 */
export class UnlockLimiter {
  private readonly windows = new LRUCache<string, Window>({ max: 50_000 });
  private hashing = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly now: Clock = systemClock) {}

  /** Waits for a hashing slot; answers refused at once when a limit is reached. */
  async admit(linkId: string, address: string): Promise<UnlockAdmission> {
    const keys = [`link:${linkId}`, `address:${address}`];
    const limits = [UNLOCK_LIMITS.perLink, UNLOCK_LIMITS.perAddress];
    const at = this.now();
    let retryAfterMs = 0;
    keys.forEach((key, index) => {
      const window = this.current(key, at);
      if (window !== undefined && window.failures >= (limits[index] as number))
        retryAfterMs = Math.max(retryAfterMs, window.startedAt + UNLOCK_LIMITS.windowMs - at);
    });
    if (retryAfterMs > 0) return { admitted: false, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) };
    if (this.hashing >= UNLOCK_LIMITS.hashingAtOnce && this.queue.length >= UNLOCK_LIMITS.waiting)
      return { admitted: false, retryAfterSeconds: 1 };
    const counted = keys.map((key) => {
      const window = this.current(key, at) ?? { startedAt: at, failures: 0 };
      window.failures++;
      this.windows.set(key, window);
      return window;
    });
    if (this.hashing >= UNLOCK_LIMITS.hashingAtOnce) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.hashing++;
    let released = false;
    return {
      admitted: true,
      release: (outcome) => {
        if (released) return;
        released = true;
        if (outcome === 'right') for (const window of counted) window.failures = Math.max(0, window.failures - 1);
        const next = this.queue.shift();
        if (next === undefined) this.hashing--;
        else next();
      },
    };
  }

  private current(key: string, at: number): Window | undefined {
    const window = this.windows.get(key);
    if (window === undefined || at - window.startedAt >= UNLOCK_LIMITS.windowMs) return undefined;
    return window;
  }
}
