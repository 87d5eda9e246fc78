import { closeSync, openSync, readSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * The wal-index header at the start of the `-shm` file: two copies of the 48-byte WalIndexHdr,
 * which every commit rewrites (its change counter, frame count and checksum move), as SQLite's
 * "WAL-mode File Format" documents for the unix and windows VFSes.
 */
const WAL_INDEX_HEADER_BYTES = 96;

/**
 * A number that changes whenever the database does, by this connection or any other (an
 * import, a worker): what is kept in memory on behalf of the database (stored GraphQL answers,
 * remembered rows, the image route's photo rows) is valid for one number only. Each request
 * reads it once, at its start, and is answered as of it: nothing answered from memory is older
 * than the last commit before the request came.
 *
 * In WAL mode it is read from the wal-index header with one `pread` and no lock: a commit
 * rewrites that header before it returns, so a read after the commit sees new bytes (a read
 * torn by a commit in progress only reads as a change). That costs a fraction of any SQL
 * statement, which takes the shared-memory read lock and stats the file. Without a `-shm`
 * file, it falls back to `data_version` (other connections) and `total_changes()` (this one).
 */
export class DatabaseVersion {
  private readonly shm: number | undefined;
  /** True when the database has changed since the last call. */
  private readonly changed: () => boolean;
  private version = 0;
  /** What atRequestStart read, until this turn's check phase. */
  private turnVersion: number | undefined;
  private readonly endTurn = (): void => {
    this.turnVersion = undefined;
  };

  constructor(sqlite: Database.Database) {
    this.shm = sqlite.memory ? undefined : openIfPresent(`${sqlite.name}-shm`);
    this.changed = this.shm === undefined ? changedByStatement(sqlite) : changedHeader(this.shm);
  }

  current(): number {
    if (this.changed()) this.version++;
    return this.version;
  }

  /**
   * The version a request starting now is answered as of, read at most once per event-loop
   * turn: every request dispatched in a turn arrived before that turn's poll returned, and the
   * read comes after it, so no commit that finished before such a request was sent is missed (a
   * request pipelined behind another may be answered as of a moment sooner). One `pread` a turn
   * instead of one a request: 1.16x on the image route's revalidation 304 (docs/performance.md).
   */
  atRequestStart(): number {
    if (this.turnVersion === undefined) {
      this.turnVersion = this.current();
      setImmediate(this.endTurn);
    }
    return this.turnVersion;
  }

  close(): void {
    if (this.shm !== undefined) closeSync(this.shm);
  }
}

function openIfPresent(file: string): number | undefined {
  try {
    return openSync(file, 'r');
  } catch {
    return undefined;
  }
}

function changedHeader(shm: number): () => boolean {
  const header = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  const seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  return () => {
    const read = readSync(shm, header, 0, WAL_INDEX_HEADER_BYTES, 0);
    if (read === WAL_INDEX_HEADER_BYTES && header.equals(seen)) return false;
    header.copy(seen);
    return true;
  };
}

function changedByStatement(sqlite: Database.Database): () => boolean {
  const statement = sqlite.prepare<[], string>("SELECT total_changes() || '-' || data_version FROM pragma_data_version").pluck();
  let seen: string | undefined;
  return () => {
    const token = statement.get() as string;
    if (token === seen) return false;
    seen = token;
    return true;
  };
}
