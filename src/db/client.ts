import { chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { DatabaseVersion } from './database-version.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle', import.meta.url));

const BUSY_TIMEOUT_MS = 5_000;

export interface OpenDatabaseOptions {
  /** Sees every statement drizzle runs; tests and Server-Timing count them through it. */
  logger?: DrizzleLogger;
  readonly?: boolean;
}

export function createDrizzle(client: Database.Database, logger?: DrizzleLogger) {
  const db = drizzle({ client, logger });
  const transaction = db.transaction.bind(db);
  // IMMEDIATE, not SQLite's DEFERRED: a deferred transaction reads from a snapshot, and when another
  // process of the library (a second server, `lightbox worker`) commits before its first write, that
  // write fails with SQLITE_BUSY_SNAPSHOT at once, past the busy timeout. Every transaction here writes.
  db.transaction = ((run, config) => transaction(run, { ...config, behavior: config?.behavior ?? 'immediate' })) as typeof db.transaction;
  return db;
}

export type Db = ReturnType<typeof createDrizzle>;

export interface DatabaseHandle {
  sqlite: Database.Database;
  db: Db;
  /** Changes whenever any connection commits (see DatabaseVersion); made on first use, once WAL is set up. */
  version(): number;
  /** The version a request starting now is answered as of (DatabaseVersion.atRequestStart): each request reads it once. */
  versionAtRequestStart(): number;
  /**
   * Checkpoints the WAL into the database (unless told not to) and closes. One of several server
   * processes leaves it to its supervisor: a TRUNCATE checkpoint waits for every other reader.
   */
  close(checkpoint?: boolean): void;
}

/**
 * Opens the database file with the pragmas every connection needs, before drizzle sees it:
 * WAL must be on before the first drizzle statement, or readers and the importer block
 * each other.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  const sqlite = new Database(file, { readonly: options.readonly ?? false });
  // The library's metadata (GPS included) is private: SQLite gives its -wal and -shm files the same mode.
  if (!sqlite.readonly && !sqlite.memory) chmodSync(file, 0o600);
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!options.readonly) {
    const mode = sqlite.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      sqlite.close();
      throw new Error(`${path.basename(file)}: the database refused WAL mode (journal_mode is ${String(mode)})`);
    }
  }
  sqlite.pragma('foreign_keys = ON');
  // FULL, not NORMAL: a commit that returned must survive a power cut; uploads are rare enough to pay the fsync.
  sqlite.pragma('synchronous = FULL');
  const db = createDrizzle(sqlite, options.logger);
  let version: DatabaseVersion | undefined;
  const versionReader = () => (version ??= new DatabaseVersion(sqlite));
  return {
    sqlite,
    db,
    version: () => versionReader().current(),
    versionAtRequestStart: () => versionReader().atRequestStart(),
    close(checkpoint = true) {
      if (!sqlite.open) return;
      version?.close();
      if (checkpoint && !sqlite.readonly) sqlite.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.close();
    },
  };
}

/** Applies the migrations in drizzle/ that this database has not seen yet. */
export function applyMigrations(handle: DatabaseHandle): void {
  migrate(handle.db, { migrationsFolder: MIGRATIONS_DIR });
}

/** What both the database and a transaction offer: helpers that take this run inside either. */
export type Queryable = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'run'>;
