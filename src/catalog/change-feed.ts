import type Database from 'better-sqlite3';
import type { ChangedSubject } from './access.ts';

/** One row of the `changes` table (db/schema.ts): what a trigger recorded of one write. */
export interface Change extends ChangedSubject {
  seq: number;
  publicId: string;
}

export type ChangeListener = (changes: readonly Change[]) => void;

export interface ChangeFeedOptions {
  /** The database version now (one `pread` of the wal-index header): the feed reads rows only when it moved. */
  version: () => number;
  /** How often the version is looked at while anyone listens. */
  pollMs?: number;
  /** Rows the table keeps (the newest), pruned every `pruneMs`. */
  keepRows?: number;
  pruneMs?: number;
  /** Told after each chunk pruned (tests wait on it instead of polling the table). */
  onPruned?: () => void;
}

/** A commit of another process reaches a listener within this (the issue asks for 1 s). */
const POLL_MS = 100;
/** Far more than any listener is behind (it reads every POLL_MS), few enough to stay a few MB. */
const KEEP_ROWS = 50_000;
const PRUNE_MS = 60_000;
/** Rows read, or pruned, in one statement: one turn of the event loop stays short whatever a commit wrote. */
const CHUNK_ROWS = 5_000;

/**
 * What changed in the library, whoever changed it, as the `changes` rows the triggers wrote,
 * handed to listeners in order. A commit by this server, a `lightbox worker` or a CLI import
 * all move the database version, which every process sees, so the feed needs no messages
 * between processes: while anyone listens it looks at the version every POLL_MS and, when it
 * moved, reads the rows after the last one seen. It decides nothing about who may see a change:
 * the subscription does, through catalog/access.ts.
 */
export class ChangeFeed {
  private readonly listeners = new Map<ChangeListener, () => void>();
  private readonly after: Database.Statement<[number, number], Change>;
  private readonly newest: Database.Statement<[], number | null>;
  private readonly oldest: Database.Statement<[], number | null>;
  private readonly prune: Database.Statement<[number]>;
  private readonly pollMs: number;
  private readonly keepRows: number;
  private lastSeq = 0;
  private lastVersion = -1;
  private poller: NodeJS.Timeout | undefined;
  private readonly pruner: NodeJS.Timeout;
  private closed = false;

  constructor(
    sqlite: Database.Database,
    private readonly options: ChangeFeedOptions,
  ) {
    this.after = sqlite.prepare<[number, number], Change>(
      `SELECT seq, subject, row_id AS rowId, public_id AS publicId, kind, album_id AS albumId, was_public AS wasPublic
         FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    this.newest = sqlite.prepare<[], number | null>('SELECT max(seq) FROM changes').pluck();
    this.oldest = sqlite.prepare<[], number | null>('SELECT min(seq) FROM changes').pluck();
    this.prune = sqlite.prepare<[number]>('DELETE FROM changes WHERE seq <= ?');
    this.pollMs = options.pollMs ?? POLL_MS;
    this.keepRows = options.keepRows ?? KEEP_ROWS;
    this.pruner = setInterval(() => this.pruneOnce(), options.pruneMs ?? PRUNE_MS).unref();
    setImmediate(() => this.pruneOnce());
  }

  /** Calls `listener` with every batch of changes committed from now on, and `ended` if the feed closes first; returns how to stop. */
  listen(listener: ChangeListener, ended: () => void = () => {}): () => void {
    if (this.listeners.size === 0) {
      // Nobody listened: what was written before now is no one's news.
      this.lastSeq = this.newest.get() ?? 0;
      this.lastVersion = this.options.version();
      this.poller = setInterval(() => this.poll(), this.pollMs);
      this.poller.unref();
    }
    this.listeners.set(listener, ended);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) clearInterval(this.poller);
    };
  }

  get listening(): number {
    return this.listeners.size;
  }

  /** Stops polling and pruning; every listener is told it ended (a subscription completes). */
  close(): void {
    this.closed = true;
    clearInterval(this.poller);
    clearInterval(this.pruner);
    const ended = [...this.listeners.values()];
    this.listeners.clear();
    for (const end of ended) end();
  }

  private poll(): void {
    const version = this.options.version();
    if (version === this.lastVersion) return;
    const rows = this.after.all(this.lastSeq, CHUNK_ROWS).map(asChange);
    // A full chunk: the rest is read at the next tick, and the version is looked at again then.
    if (rows.length < CHUNK_ROWS) this.lastVersion = version;
    if (rows.length === 0) return;
    this.lastSeq = (rows[rows.length - 1] as Change).seq;
    for (const listener of this.listeners.keys()) listener(rows);
  }

  /** Drops the oldest rows past keepRows, one chunk a call: a CLI import of a big folder may have left many. */
  private pruneOnce(): void {
    if (this.closed) return;
    const newest = this.newest.get();
    const oldest = this.oldest.get();
    if (newest == null || oldest == null) return;
    const cutoff = Math.min(newest - this.keepRows, oldest + CHUNK_ROWS - 1);
    if (cutoff < oldest) return;
    try {
      this.prune.run(cutoff);
    } catch {
      // Busy (another process writes): the next call prunes.
      return;
    }
    this.options.onPruned?.();
    if (newest - this.keepRows > cutoff) setImmediate(() => this.pruneOnce());
  }
}

function asChange(row: Change): Change {
  return { ...row, wasPublic: Boolean(row.wasPublic) };
}
