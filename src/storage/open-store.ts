import type { Config } from '../config.ts';
import { applyMigrations, type DatabaseHandle, openDatabase } from '../db/client.ts';
import { prepareDataDir } from './data-dir.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { StorageLayout } from './layout.ts';

export interface Store {
  layout: StorageLayout;
  database: DatabaseHandle;
  /** Closes the database and, for a server's store, gives up the data dir. */
  close(): void;
}

export interface OpenStoreOptions {
  /** The store a server runs on: the data dir is locked before the database is touched (one server per data dir). */
  serving?: boolean;
}

/**
 * The data dir, proven writable, and its database, migrated: the one start-up path of every
 * command (serve, worker, import, migrate, backup).
 */
export async function openStore(config: Pick<Config, 'dataDir'>, options: OpenStoreOptions = {}): Promise<Store> {
  const layout = new StorageLayout(config.dataDir);
  await prepareDataDir(layout);
  const lock = options.serving ? lockDataDir(layout.dataDir) : undefined;
  let database: DatabaseHandle | undefined;
  try {
    database = openDatabase(layout.databaseFile);
    applyMigrations(database);
  } catch (error) {
    database?.close();
    lock?.release();
    throw error;
  }
  const opened = database;
  return {
    layout,
    database: opened,
    close() {
      opened.close();
      lock?.release();
    },
  };
}
