import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import type { StorageLayout } from './layout.ts';

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? String(error) : code;
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir spins forever on some paths
 * (under /proc, for one), which would turn a bad LIGHTBOX_DATA_DIR into a hung start.
 */
async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while ((await stat(current).catch(() => undefined)) === undefined) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) {
    // Originals are private data: what we create, only the server's user may read.
    await mkdir(level, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  const stats = await stat(dir);
  if (!stats.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
}

/**
 * Creates the data dir and proves it is writable before anything else runs, so a bad
 * LIGHTBOX_DATA_DIR is one clear line at start, not a failure at the first upload.
 */
export async function prepareDataDir(layout: StorageLayout): Promise<void> {
  for (const dir of [layout.dataDir, layout.originalsDir, layout.derivedDir, layout.tempDir]) {
    try {
      await ensureDir(dir);
    } catch (error) {
      throw new ConfigError('LIGHTBOX_DATA_DIR', `cannot create ${dir} (${reason(error)})`);
    }
  }
  const probe = path.join(layout.tempDir, `.write-test-${process.pid}`);
  try {
    await access(layout.dataDir, constants.W_OK);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    throw new ConfigError('LIGHTBOX_DATA_DIR', `${layout.dataDir} is not writable (${reason(error)})`);
  }
}

/**
 * Temp files are only ever half-written uploads or renders from a process that died; the
 * serving process removes them at start. Files younger than `minAgeMs` may belong to a live
 * importer on the same data dir and are left alone.
 */
export async function sweepTempFiles(layout: StorageLayout, minAgeMs = 60 * 60 * 1000): Promise<number> {
  let removed = 0;
  const now = Date.now();
  for (const name of await readdir(layout.tempDir)) {
    const file = path.join(layout.tempDir, name);
    const stats = await stat(file).catch(() => undefined);
    if (stats?.isFile() && now - stats.mtimeMs >= minAgeMs) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
