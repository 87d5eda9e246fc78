import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { openStore } from '../storage/open-store.ts';

/** `lightbox backup <file>`: an online copy through SQLite's backup API, safe while the server runs. */
export async function backupCommand(config: Config, target: string): Promise<number> {
  const destination = path.resolve(target);
  if (existsSync(destination)) {
    process.stderr.write(`lightbox: ${destination} already exists; choose a new file name\n`);
    return 1;
  }
  const { database } = await openStore(config);
  try {
    const result = await database.sqlite.backup(destination);
    process.stdout.write(`Backed up ${result.totalPages} pages to ${destination}\n`);
    return 0;
  } finally {
    database.close();
  }
}
