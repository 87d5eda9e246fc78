import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type Database from 'better-sqlite3';
import { LightboxError } from '../errors.ts';
import { tempPath } from './atomic.ts';
import { originalRows } from './backup.ts';
import { digestOf, type FileStore } from './file-store.ts';
import type { StorageLayout } from './layout.ts';

/** What `lightbox storage migrate` did: files copied this run, files found there already (an earlier run's), and their bytes. */
export interface MigrationReport {
  originals: { copied: number; present: number };
  derived: { copied: number; present: number };
  bytesCopied: number;
}

const DERIVED_KEY = /^derived\/[A-Za-z0-9_-]{2}\/([A-Za-z0-9_-]+)\/[a-z]+\.v(\d+)\.[a-z0-9]+$/;

/**
 * Copies every original and every current rendition of a library from one store to another
 * (the data dir to a bucket, or back), each through a temp file of the data dir:
 *
 * - resumable: a file the target already holds at its size is not copied again, so a run after a
 *   kill copies only what is missing (a file is only ever there whole: FileStore.copyIn);
 * - verified: an original's bytes must have its SHA-256 (its name) before they are sent, and
 *   every copy is read back from the target and must have the SHA-256 of what was sent;
 * - nothing is removed from the source: it stays the library's until the caller records the
 *   target (the sweep of the old store is the owner's, once the new one serves).
 *
 * Renditions of superseded versions are left behind (the sweep would remove them anyway).
 */
export async function migrateStorage(
  sqlite: Database.Database,
  from: FileStore,
  to: FileStore,
  tempLayout: StorageLayout,
  onFile?: (key: string, copied: boolean) => void,
): Promise<MigrationReport> {
  const report: MigrationReport = { originals: { copied: 0, present: 0 }, derived: { copied: 0, present: 0 }, bytesCopied: 0 };
  await mkdir(tempLayout.tempDir, { recursive: true });
  for (const row of originalRows(sqlite)) {
    const source = from.layout.originalPath(row.content_hash, row.original_extension);
    const target = to.layout.originalPath(row.content_hash, row.original_extension);
    const copied = await copyVerified(from, source, to, target, tempLayout, row.byte_size, row.content_hash);
    report.originals[copied ? 'copied' : 'present']++;
    if (copied) report.bytesCopied += row.byte_size;
    onFile?.(from.layout.keyOf(source), copied);
  }
  const versionOf = sqlite.prepare<[string], { version: number }>('SELECT version FROM photos WHERE public_id = ?');
  for await (const file of from.list('derived/')) {
    const match = DERIVED_KEY.exec(file.key);
    if (match === null || versionOf.get(match[1] as string)?.version !== Number(match[2])) continue;
    const copied = await copyVerified(from, from.layout.fileOf(file.key), to, to.layout.fileOf(file.key), tempLayout, file.size);
    report.derived[copied ? 'copied' : 'present']++;
    if (copied) report.bytesCopied += file.size;
    onFile?.(file.key, copied);
  }
  return report;
}

/** One file from `from` to `to`, unless `to` has it at `size`; true when it was copied. */
async function copyVerified(
  from: FileStore,
  source: string,
  to: FileStore,
  target: string,
  tempLayout: StorageLayout,
  size: number,
  sha256?: string,
): Promise<boolean> {
  if ((await to.sizeOf(target)) === size) return false;
  const key = from.layout.keyOf(source);
  const temp = tempPath(tempLayout.tempDir);
  try {
    if (!(await from.copyOut(source, temp))) throw new LightboxError('STORAGE_COPY', `${key} is missing from ${from.location}`);
    const sent = await digestOf(createReadStream(temp));
    if (sent.size !== size || (sha256 !== undefined && sent.sha256 !== sha256)) {
      throw new LightboxError(
        'STORAGE_COPY',
        `${key} in ${from.location} is damaged (${sent.size} bytes, SHA-256 ${sent.sha256.slice(0, 12)}…): run \`lightbox verify\`, restore it from a backup, then migrate again`,
      );
    }
    await to.copyIn(temp, target);
    const stored = await to.digest(target);
    if (stored?.sha256 !== sent.sha256) {
      throw new LightboxError(
        'STORAGE_COPY',
        `${key} did not arrive whole in ${to.location} (its SHA-256 differs); run the migration again`,
      );
    }
    return true;
  } finally {
    await rm(temp, { force: true });
  }
}
