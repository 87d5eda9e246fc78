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

/** The windows one attempt is counted in: its link's and its address's. */
export interface UnlockKeys {
  link: string;
  address: string;
}

/** Counted, or refused with how long until the window that refused it ends. */
export type UnlockCount = { counted: true } | { counted: false; retryAfterMs: number };

/**
 * Where wrong passwords are counted. Several server processes must count in one place (an
 * attacker spread over N processes would otherwise get N times the tries): the in-process
 * windows here, or the supervisor's asked over IPC (processes/).
 */
export interface UnlockWindows {
  /** Counts one attempt against both windows unless either is full: checked and counted at once, so a parallel burst cannot slip past. */
  count(keys: UnlockKeys, at: number): UnlockCount | Promise<UnlockCount>;
  /** Takes one attempt back from both windows (the password was right). */
  takeBack(keys: UnlockKeys, at: number): void;
}

interface Window {
  startedAt: number;
  failures: number;
}

/** Fixed windows counted from the first failure, 50,000 at most (the least recently counted go first). */
export class UnlockWindowsInMemory implements UnlockWindows {
  private readonly windows = new LRUCache<string, Window>({ max: 50_000 });

  count(keys: UnlockKeys, at: number): UnlockCount {
    const counted = [
      { key: `link:${keys.link}`, limit: UNLOCK_LIMITS.perLink },
      { key: `address:${keys.address}`, limit: UNLOCK_LIMITS.perAddress },
    ];
    let retryAfterMs = 0;
    for (const { key, limit } of counted) {
      const window = this.current(key, at);
      if (window !== undefined && window.failures >= limit)
        retryAfterMs = Math.max(retryAfterMs, window.startedAt + UNLOCK_LIMITS.windowMs - at);
    }
    if (retryAfterMs > 0) return { counted: false, retryAfterMs };
    for (const { key } of counted) {
      const window = this.current(key, at) ?? { startedAt: at, failures: 0 };
      window.failures++;
      this.windows.set(key, window);
    }
    return { counted: true };
  }

  takeBack(keys: UnlockKeys, at: number): void {
    for (const key of [`link:${keys.link}`, `address:${keys.address}`]) {
      const window = this.current(key, at);
      if (window !== undefined) window.failures = Math.max(0, window.failures - 1);
    }
  }

  private current(key: string, at: number): Window | undefined {
    const window = this.windows.get(key);
    if (window === undefined || at - window.startedAt >= UNLOCK_LIMITS.windowMs) return undefined;
    return window;
  }
}

export type UnlockAdmission =
  | { admitted: true; release(outcome: 'right' | 'wrong'): void }
  | { admitted: false; retryAfterSeconds: number };

/**
 * An attempt counts as a failure from the moment it is admitted (so a burst in parallel cannot
 * slip past the count) and is taken back when the password proves right. Hashing slots are this
 * process's own: they bound its thread pool and memory, not the attacker.
 */
export class UnlockLimiter {
  private hashing = 0;
  /** Admissions between the queue check and their count's answer: they hold a place in the queue meanwhile. */
  private counting = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly now: Clock = systemClock,
    private readonly windows: UnlockWindows = new UnlockWindowsInMemory(),
  ) {}

  /** Waits for a hashing slot; answers refused at once when a limit is reached. */
  async admit(linkId: string, address: string): Promise<UnlockAdmission> {
    const keys = { link: linkId, address };
    if (this.hashing >= UNLOCK_LIMITS.hashingAtOnce && this.queue.length + this.counting >= UNLOCK_LIMITS.waiting)
      return { admitted: false, retryAfterSeconds: 1 };
    this.counting++;
    let verdict: UnlockCount;
    try {
      verdict = await this.windows.count(keys, this.now());
    } finally {
      this.counting--;
    }
    if (!verdict.counted) return { admitted: false, retryAfterSeconds: Math.ceil(verdict.retryAfterMs / 1000) };
    if (this.hashing >= UNLOCK_LIMITS.hashingAtOnce) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.hashing++;
    let released = false;
    return {
      admitted: true,
      release: (outcome) => {
        if (released) return;
        released = true;
        if (outcome === 'right') this.windows.takeBack(keys, this.now());
        const next = this.queue.shift();
        if (next === undefined) this.hashing--;
        else next();
      },
    };
  }
}
