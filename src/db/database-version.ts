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
 * import, a worker): what is kept in memory on behalf of the database (cached GraphQL results,
 * the image route's photo rows) is valid for one number only, so nothing answered from memory
 * is older than the last commit.
 *
 * In WAL mode it is read from the wal-index header with one `pread` and no lock: a commit
 * rewrites that header before it returns, so a read after the commit sees new bytes (a read
 * torn by a commit in progress only reads as a change). That costs a fraction of any SQL
 * statement, which takes the shared-memory read lock and stats the file. Without a `-shm`
 * file, it falls back to `data_version` (other connections) and `total_changes()` (this one).
 */
export class DatabaseVersion {
  private readonly shm: number | undefined;
  private readonly header = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly statement: Database.Statement<[], string> | undefined;
  private seenStatement = '';
  private version = 0;

  constructor(sqlite: Database.Database) {
    let shm: number | undefined;
    if (!sqlite.memory) {
      try {
        shm = openSync(`${sqlite.name}-shm`, 'r');
      } catch {
        shm = undefined;
      }
    }
    this.shm = shm;
    this.statement =
      shm === undefined
        ? sqlite.prepare<[], string>("SELECT total_changes() || '-' || data_version FROM pragma_data_version").pluck()
        : undefined;
  }

  current(): number {
    if (this.shm !== undefined) {
      const read = readSync(this.shm, this.header, 0, WAL_INDEX_HEADER_BYTES, 0);
      if (read !== WAL_INDEX_HEADER_BYTES || !this.header.equals(this.seen)) {
        this.header.copy(this.seen);
        this.version++;
      }
      return this.version;
    }
    const token = (this.statement as Database.Statement<[], string>).get() as string;
    if (token !== this.seenStatement) {
      this.seenStatement = token;
      this.version++;
    }
    return this.version;
  }

  close(): void {
    if (this.shm !== undefined) closeSync(this.shm);
  }
}
