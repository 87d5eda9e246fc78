import assert from 'node:assert/strict';
import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { type DatabaseHandle, MIGRATIONS_DIR, openDatabase } from '../../src/db/client.ts';
import { makeTempDir } from './server.ts';

/**
 * A new database in a temp dir as it was before the migration named `name` (and every one after
 * it): a migration's test fills it as a library of that time would be, then applies the rest.
 */
export async function databaseBefore(name: string): Promise<DatabaseHandle> {
  const dir = await makeTempDir();
  const before = path.join(dir, 'migrations-before');
  await cp(MIGRATIONS_DIR, before, { recursive: true });
  const folders = (await readdir(before, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const named = folders.filter((folder) => folder.endsWith(`_${name}`));
  assert.equal(named.length, 1, `one migration is named ${name}`);
  for (const folder of folders) if (folder >= (named[0] as string)) await rm(path.join(before, folder), { recursive: true });
  const handle = openDatabase(path.join(dir, 'lightbox.db'));
  migrate(handle.db, { migrationsFolder: before });
  return handle;
}
