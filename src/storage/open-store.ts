import type { Config } from '../config.ts';
import { applyMigrations, type DatabaseHandle, openDatabase } from '../db/client.ts';
import { prepareDataDir } from './data-dir.ts';
import { StorageLayout } from './layout.ts';

export interface Store {
  layout: StorageLayout;
  database: DatabaseHandle;
}

/**
 * The data dir, proven writable, and its database, migrated: the one start-up path of every
 * command (serve, worker, import, migrate, backup).
 */
export async function openStore(config: Pick<Config, 'dataDir'>): Promise<Store> {
  const layout = new StorageLayout(config.dataDir);
  await prepareDataDir(layout);
  const database = openDatabase(layout.databaseFile);
  try {
    applyMigrations(database);
  } catch (error) {
    database.close();
    throw error;
  }
  return { layout, database };
}
