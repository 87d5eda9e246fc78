import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { shareLinks } from '../db/schema.ts';
import type { Logger } from '../log.ts';

/** How often counted uses are written: every write moves the database version, which empties the read caches. */
export const SHARE_USAGE_FLUSH_MS = 60_000;

/**
 * Views and last use of share links, counted in memory and written together at most once a
 * minute (and when the server stops, and before the links are listed): writing on every
 * request would empty the response cache and the image route's memory each time someone
 * looks at a shared album. Each server process counts its own; `others` has every other
 * process of the library write its counts (over the supervisor), so a listing shows them all.
 */
export class ShareUsage {
  private readonly pending = new Map<number, { views: number; lastUsedAt: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    logger: Logger,
    private readonly others?: () => Promise<void>,
  ) {
    this.timer = setInterval(() => {
      try {
        this.flush();
      } catch (error) {
        // Counts are bookkeeping: a busy database loses a minute of them, never the server.
        logger.warn({ err: error }, 'share link usage could not be written');
      }
    }, SHARE_USAGE_FLUSH_MS);
    this.timer.unref();
  }

  record(linkId: number, nowMs: number): void {
    const entry = this.pending.get(linkId);
    if (entry === undefined) this.pending.set(linkId, { views: 1, lastUsedAt: nowMs });
    else {
      entry.views++;
      entry.lastUsedAt = Math.max(entry.lastUsedAt, nowMs);
    }
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const entries = [...this.pending];
    this.pending.clear();
    this.db.transaction((tx) => {
      for (const [linkId, { views, lastUsedAt }] of entries) {
        tx.update(shareLinks)
          .set({
            viewCount: sql`${shareLinks.viewCount} + ${views}`,
            lastUsedAt: sql`max(coalesce(${shareLinks.lastUsedAt}, 0), ${lastUsedAt})`,
          })
          .where(eq(shareLinks.id, linkId))
          .run();
      }
    });
  }

  /** Has every other server process write what it counted (then flush this one's): what a listing must show. */
  async flushOthers(): Promise<void> {
    await this.others?.();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
