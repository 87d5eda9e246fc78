import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { StorageConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';
import type { StorageLayout } from './layout.ts';

/**
 * Which storage a library's files are in, as the library itself says: data/storage holds
 * `local` or `s3://bucket[/prefix]`, written when the library is made (and by `lightbox storage
 * migrate`). A file beside the database, not a row in it: it is read before anything else, and
 * writing it must not move the database version. A library from before has none: local.
 */
export const STORAGE_FILE = 'storage';

export function locationOf(storage: StorageConfig): string {
  return storage.kind === 's3' ? storage.location : 'local';
}

/** What the library records, `local` when it records nothing (made before there was a choice). */
export async function recordedStorage(layout: StorageLayout): Promise<string> {
  const text = await readFile(path.join(layout.dataDir, STORAGE_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return 'local';
    throw error;
  });
  return text.trim() || 'local';
}

export async function recordStorage(layout: StorageLayout, storage: StorageConfig | string): Promise<void> {
  const location = typeof storage === 'string' ? storage : locationOf(storage);
  await writeFileAtomic(layout.tempDir, path.join(layout.dataDir, STORAGE_FILE), `${location}\n`, 0o600);
}

/**
 * Refuses a library opened with another storage than its own: a bucket library started without
 * LIGHTBOX_STORAGE (or with another bucket) would show an empty gallery and write new photos
 * where the others are not. A local library with no photos yet may become a bucket's.
 */
export async function checkRecordedStorage(
  layout: StorageLayout,
  sqlite: Database.Database,
  storage: StorageConfig,
  created: boolean,
): Promise<void> {
  if (created) return;
  const recorded = await recordedStorage(layout);
  const configured = locationOf(storage);
  if (recorded === configured) return;
  const photos = (sqlite.prepare('SELECT count(*) AS n FROM photos').get() as { n: number }).n;
  if (recorded === 'local' && photos === 0) {
    await recordStorage(layout, storage);
    return;
  }
  const now = recorded === 'local' ? 'on this disk (LIGHTBOX_STORAGE unset or local)' : `in ${recorded}`;
  throw new ConfigError(
    'LIGHTBOX_STORAGE',
    `the library in ${layout.dataDir} keeps its ${photos} photos ${now}, not in ${configured}: set LIGHTBOX_STORAGE=${recorded}, ` +
      `or move them first with \`lightbox storage migrate --to ${configured}\``,
  );
}
