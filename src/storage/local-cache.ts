import { mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ObjectFacts } from './bucket.ts';
import type { StorageLayout } from './layout.ts';

/** How often the uses a process saw are written to the index: the LRU order is this old at worst. */
const TOUCH_FLUSH_MS = 2_000;
/**
 * Uses kept between flushes; past it uses of other files wait for the next flush to be seen
 * (the map never grows with traffic, and no request writes the index or waits for its lock).
 */
const MAX_PENDING_TOUCHES = 20_000;
/** Eviction frees down to this share of the bound, so a full cache does not evict on every admission. */
const EVICT_TO = 0.95;
const VICTIMS_PER_STATEMENT = 100;
/** Validators of evicted files kept (about 120 B each on disk): a revalidation after eviction still needs no bucket request. */
const MAX_REMEMBERED = 200_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL,
    cached INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS entries_lru ON entries (cached, last_used_ms);
  CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL, remembered INTEGER NOT NULL);
  INSERT OR IGNORE INTO totals VALUES (1, 0, 0);
  CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries BEGIN
    UPDATE totals SET bytes = bytes + NEW.bytes * NEW.cached, remembered = remembered + 1 - NEW.cached;
  END;
  CREATE TRIGGER IF NOT EXISTS entries_removed AFTER DELETE ON entries BEGIN
    UPDATE totals SET bytes = bytes - OLD.bytes * OLD.cached, remembered = remembered - 1 + OLD.cached;
  END;
  CREATE TRIGGER IF NOT EXISTS entries_changed AFTER UPDATE OF bytes, cached ON entries BEGIN
    UPDATE totals SET bytes = bytes - OLD.bytes * OLD.cached + NEW.bytes * NEW.cached,
                      remembered = remembered + OLD.cached - NEW.cached;
  END;
`;

/**
 * The bucket's files kept on this machine's disk, within LIGHTBOX_LOCAL_CACHE_MB, least recently
 * used out first, shared by every Lightbox process on the host that serves the data dir.
 *
 * - The files are at their layout paths under data/cache (the bucket's keys), each with its
 *   mtime set to the object's Last-Modified: the image route's stat of one gives the ETag every
 *   node gives (MD5 of `mtimeMs-size`), before and after an eviction, and a 304 with no bucket
 *   request.
 * - The bookkeeping (each file's size, validators and last use, and the total) is a small SQLite
 *   file of its own, data/cache/index.db, which every process sees. Not the library's database:
 *   a write there moves the database version and empties every process's read memories.
 * - A file is placed (renamed from a temp file) inside the transaction that counts it, and
 *   evicted inside one that uncounts it, so the total never misses a file that is there and two
 *   processes never count one twice; eviction unlinks, so an answer streaming the file goes on.
 * - Uses are kept in memory and written every TOUCH_FLUSH_MS in one transaction, not per request.
 */
export class LocalCache {
  private readonly db: Database.Database;
  private readonly pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly statements;

  constructor(
    private readonly layout: StorageLayout,
    readonly maxBytes: number,
  ) {
    mkdirSync(layout.cacheDir, { recursive: true, mode: 0o700 });
    this.db = new Database(path.join(layout.cacheDir, 'index.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    // A cache: losing the last commits to a power cut costs a refetch at most.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.statements = {
      known: this.db.prepare<[string], { bytes: number; modified_ms: number }>('SELECT bytes, modified_ms FROM entries WHERE key = ?'),
      upsert: this.db.prepare<[string, number, number, number, number]>(
        `INSERT INTO entries (key, bytes, modified_ms, last_used_ms, cached) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, modified_ms = excluded.modified_ms,
             last_used_ms = excluded.last_used_ms, cached = max(cached, excluded.cached)`,
      ),
      place: this.db.prepare<[string, number, number, number]>(
        `INSERT INTO entries (key, bytes, modified_ms, last_used_ms, cached) VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, modified_ms = excluded.modified_ms,
             last_used_ms = excluded.last_used_ms, cached = 1`,
      ),
      touch: this.db.prepare<[number, string]>('UPDATE entries SET last_used_ms = max(last_used_ms, ?) WHERE key = ?'),
      total: this.db.prepare<[], { bytes: number; remembered: number }>('SELECT bytes, remembered FROM totals'),
      victims: this.db.prepare<[string], { key: string; bytes: number }>(
        `SELECT key, bytes FROM entries WHERE cached = 1 AND key != ? ORDER BY last_used_ms LIMIT ${VICTIMS_PER_STATEMENT}`,
      ),
      evicted: this.db.prepare<[string]>('UPDATE entries SET cached = 0 WHERE key = ?'),
      forget: this.db.prepare<[string]>('DELETE FROM entries WHERE key = ?'),
      oldestRemembered: this.db.prepare<[number]>(
        'DELETE FROM entries WHERE key IN (SELECT key FROM entries WHERE cached = 0 ORDER BY last_used_ms LIMIT ?)',
      ),
    };
    this.timer = setInterval(() => this.flushOrWarn(), TOUCH_FLUSH_MS);
    this.timer.unref();
  }

  /** Bytes the cached files take now, by the shared count. */
  get bytes(): number {
    return this.statements.total.get()?.bytes ?? 0;
  }

  /** The validators of a file this host has seen in the bucket (cached now or evicted since): no request needed to answer a revalidation. */
  known(file: string): ObjectFacts | undefined {
    const row = this.statements.known.get(this.layout.keyOf(file));
    return row === undefined ? undefined : { size: row.bytes, modifiedMs: row.modified_ms };
  }

  /** Notes a use of a cached file (the image route's hit): written with the others at the next flush. */
  touch(file: string, usedMs = Date.now()): void {
    if (this.pending.size >= MAX_PENDING_TOUCHES && !this.pending.has(file)) return;
    this.pending.set(file, usedMs);
  }

  /** Remembers an object's validators without keeping its bytes (one streamed through from the bucket). */
  remember(file: string, facts: ObjectFacts): void {
    this.statements.upsert.run(this.layout.keyOf(file), facts.size, facts.modifiedMs, Date.now(), 0);
  }

  /**
   * Moves `temp` (the object's whole bytes, its mtime already the object's) to `file` and counts
   * it, evicting the least recently used files until the total is within the bound again. One
   * transaction, holding the index's write lock: no other process places or evicts meanwhile.
   */
  admit(temp: string, file: string, facts: ObjectFacts): void {
    const key = this.layout.keyOf(file);
    this.db
      .transaction(() => {
        this.statements.place.run(key, facts.size, facts.modifiedMs, Date.now());
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        renameSync(temp, file);
        this.evictFor(key);
      })
      .immediate();
  }

  /** A file whose object is gone (its photo deleted): off the disk and out of the index. */
  forget(file: string): void {
    const key = this.layout.keyOf(file);
    this.db
      .transaction(() => {
        unlinkQuietly(file);
        this.statements.forget.run(key);
      })
      .immediate();
  }

  /** Writes the uses seen since the last flush; a file found on disk without its row (a crash between rename and commit) is counted again. */
  flush(): void {
    if (this.pending.size === 0) return;
    const uses = [...this.pending];
    this.pending.clear();
    this.db
      .transaction(() => {
        for (const [file, usedMs] of uses) {
          if (this.statements.touch.run(usedMs, this.layout.keyOf(file)).changes > 0) continue;
          const found = statSync(file, { throwIfNoEntry: false });
          if (found?.isFile()) this.statements.place.run(this.layout.keyOf(file), found.size, found.mtimeMs, usedMs);
        }
        this.evictFor('');
      })
      .immediate();
  }

  /**
   * The timer's flush: uses are bookkeeping, so one that fails (the index
   * locked past its busy timeout, a full disk) loses those uses, never the process or the answer.
   */
  private flushOrWarn(): void {
    try {
      this.flush();
    } catch (error) {
      process.emitWarning(`the local cache's index could not record recent uses: ${(error as Error).message}`, 'LocalCacheWarning');
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flushOrWarn();
    this.db.close();
  }

  /** Inside a write transaction: least recently used files out until the total is under the bound (never `keep`, the file just placed). */
  private evictFor(keep: string): void {
    const { bytes, remembered } = this.statements.total.get() ?? { bytes: 0, remembered: 0 };
    let total = bytes;
    if (total > this.maxBytes) {
      const target = Math.floor(this.maxBytes * EVICT_TO);
      while (total > target) {
        const victims = this.statements.victims.all(keep);
        if (victims.length === 0) break;
        for (const victim of victims) {
          unlinkQuietly(this.layout.fileOf(victim.key));
          this.statements.evicted.run(victim.key);
          total -= victim.bytes;
          if (total <= target) break;
        }
      }
    }
    if (remembered > MAX_REMEMBERED) this.statements.oldestRemembered.run(remembered - MAX_REMEMBERED);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
