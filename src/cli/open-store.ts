import type { Config } from '../config.ts';
import { applyMigrations, type DatabaseHandle, openDatabase } from '../db/client.ts';
import { prepareDataDir } from '../storage/data-dir.ts';
import { StorageLayout } from '../storage/layout.ts';

/** The data dir and its migrated database, for commands that work beside a running server. */
export async function openStore(config: Config): Promise<{ layout: StorageLayout; database: DatabaseHandle }> {
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
