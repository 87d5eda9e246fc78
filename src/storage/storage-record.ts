import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type Database from 'better-sqlite3';
import type { StorageConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { writeFileAtomic } from './atomic.ts';
import type { Bucket } from './bucket.ts';
import type { StorageLayout } from './layout.ts';

/**
 * Which storage a library's files are in, as the library itself says: data/storage holds
 * `local` or `s3://bucket[/prefix]` (written when the library is made, by `restore` and by
 * `lightbox storage migrate`) and, once it has used a bucket, the library's id, which the bucket
 * holds too (BUCKET_MARKER). A file beside the database, not a row in it: it is read before
 * anything else, writing it must not move the database version, and a backup carries it. A
 * library from before has none: local.
 */
interface StorageRecord {
  location: string;
  /** Claims a bucket prefix: the sweep removes what the library's rows do not name, so two libraries must never share one. */
  libraryId: string | undefined;
}

/** The object in a bucket prefix that says which library it belongs to. */
const BUCKET_MARKER = '.lightbox-library';

export function locationOf(storage: StorageConfig): string {
  return storage.kind === 's3' ? storage.location : 'local';
}

async function readRecord(layout: StorageLayout): Promise<StorageRecord> {
  const text = await readFile(layout.storageFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const [location, id] = text.split('\n');
  return { location: location?.trim() || 'local', libraryId: /^library ([0-9a-f]{32})$/.exec(id?.trim() ?? '')?.[1] };
}

async function writeRecord(layout: StorageLayout, record: StorageRecord): Promise<void> {
  const text = `${record.location}\n${record.libraryId === undefined ? '' : `library ${record.libraryId}\n`}`;
  await writeFileAtomic(layout.tempDir, layout.storageFile, text, 0o600);
}

/** What the library records, `local` when it records nothing (made before there was a choice). */
export async function recordedStorage(layout: StorageLayout): Promise<string> {
  return (await readRecord(layout)).location;
}

/** Records where the library's files are now; its id stays. */
export async function recordStorage(layout: StorageLayout, storage: StorageConfig | string): Promise<void> {
  const location = typeof storage === 'string' ? storage : locationOf(storage);
  await writeRecord(layout, { ...(await readRecord(layout)), location });
}

/**
 * Makes sure the bucket prefix is this library's: an empty one is claimed (the marker object
 * written with the library's id), one holding this id is fine, and one holding another's is
 * refused. Else two libraries on one prefix would each sweep away the other's photos.
 */
export async function claimBucket(layout: StorageLayout, bucket: Bucket): Promise<void> {
  const record = await readRecord(layout);
  const libraryId = record.libraryId ?? randomBytes(16).toString('hex');
  const marker = (await bucket.readText(BUCKET_MARKER))?.trim();
  if (marker === undefined) await bucket.writeText(BUCKET_MARKER, `${libraryId}\n`);
  else if (marker !== libraryId) {
    throw new ConfigError(
      'LIGHTBOX_STORAGE',
      `${bucket.config.location} holds another Lightbox library's photos (its ${BUCKET_MARKER} says ${marker.slice(0, 8)}…, this library is ` +
        `${record.libraryId === undefined ? 'new there' : `${libraryId.slice(0, 8)}…`}): give each library a prefix of its own, s3://<bucket>/<prefix>`,
    );
  }
  if (record.libraryId === undefined) await writeRecord(layout, { location: record.location, libraryId });
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
