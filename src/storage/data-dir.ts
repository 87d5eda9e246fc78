import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { HOST_TAG, tempFileOwner } from './atomic.ts';
import { isProcessAlive } from './data-dir-lock.ts';
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

const TEMP_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * Whether nobody will finish this temp file. Its name says which process writes it: when that
 * process is gone (killed mid-upload, say), or is this one (a pid reused by a restart, as pid 1
 * in a container is; this runs before we write any), the file is dead at once. A name without
 * an owner, or one from another host (a worker container on the same volume), is trusted only
 * to age: after `minAgeMs`, as before owners were recorded.
 */
function isStaleTemp(name: string, mtimeMs: number, now: number, minAgeMs: number): boolean {
  if (now - mtimeMs >= minAgeMs) return true;
  const owner = tempFileOwner(name);
  if (owner === undefined || owner.host !== HOST_TAG) return false;
  return owner.pid === process.pid || !isProcessAlive(owner.pid);
}

/**
 * Files in tmp/ no running process will finish: half-written uploads, imports or renders of a
 * process that died. Only correct before this process writes temp files of its own (at start,
 * or from `lightbox verify`), since its own pid counts as a dead one's.
 */
export async function staleTempFiles(layout: StorageLayout, minAgeMs = TEMP_MIN_AGE_MS): Promise<string[]> {
  const stale: string[] = [];
  const now = Date.now();
  const names = await readdir(layout.tempDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const name of names) {
    const stats = await stat(path.join(layout.tempDir, name)).catch(() => undefined);
    if (stats?.isFile() && isStaleTemp(name, stats.mtimeMs, now, minAgeMs)) stale.push(name);
  }
  return stale;
}

/** The serving process removes the stale temp files (see staleTempFiles) at start; returns how many. */
export async function sweepTempFiles(layout: StorageLayout, minAgeMs = TEMP_MIN_AGE_MS): Promise<number> {
  const stale = await staleTempFiles(layout, minAgeMs);
  for (const name of stale) await rm(path.join(layout.tempDir, name), { force: true });
  return stale.length;
}

/**
 * Removes the temp files a process of this host left when it died (a server process the
 * supervisor saw crash): its half-written uploads and renders go at once, not at the next start.
 */
export async function sweepTempFilesOf(layout: StorageLayout, pid: number): Promise<number> {
  if (isProcessAlive(pid)) return 0;
  const names = await readdir(layout.tempDir).catch(() => [] as string[]);
  const dead = names.filter((name) => {
    const owner = tempFileOwner(name);
    return owner?.host === HOST_TAG && owner.pid === pid;
  });
  for (const name of dead) await rm(path.join(layout.tempDir, name), { force: true });
  return dead.length;
}
