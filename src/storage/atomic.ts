import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * Which machine (or container: each has its own hostname and pid space) wrote a temp file. A
 * pid means something only where it was taken, so a sweep trusts it only on the same host.
 */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

const TEMP_NAME = /^[0-9a-z]+-[0-9a-f]{12}-(\d+)-([0-9a-f]{8})\.[a-z]+$/;

/**
 * A unique name in `dir`; temp files share the destination's file system so rename is atomic.
 * The name carries the writer's pid and host, so whoever finds it later can tell whether the
 * process writing it still runs (see tempFileOwner) instead of waiting for it to age.
 */
export function tempPath(dir: string, label = 'part'): string {
  return path.join(dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}-${process.pid}-${HOST_TAG}.${label}`);
}

/** The pid and host tag a tempPath name carries; undefined for any other name (written by an older Lightbox). */
export function tempFileOwner(name: string): { pid: number; host: string } | undefined {
  const match = TEMP_NAME.exec(name);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { pid: Number(match[1]), host: match[2] };
}

/** Flushes a directory's entries (a rename or link in it) to disk. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a file's bytes to disk. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Moves a finished temp file into place: flushed first, then renamed, so a reader sees the
 * whole file or none, and a crash leaves at worst a temp file that the start-up sweep removes.
 */
export async function commitTempFile(temp: string, destination: string): Promise<void> {
  await fsyncFile(temp);
  const dir = path.dirname(destination);
  await mkdir(dir, { recursive: true });
  await rename(temp, destination);
  await fsyncDirectory(dir);
}

/**
 * `write` fills a fresh temp file in `tempDir`, which is then committed to `destination`; on
 * any failure the temp file goes, so nothing half-written is ever left behind or in place.
 */
export async function writeAtomically(tempDir: string, destination: string, write: (temp: string) => Promise<unknown>): Promise<void> {
  await mkdir(tempDir, { recursive: true });
  const temp = tempPath(tempDir);
  try {
    await write(temp);
    await commitTempFile(temp, destination);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes `data` to `destination` through a temp file in `tempDir`. */
export function writeFileAtomic(tempDir: string, destination: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  return writeAtomically(tempDir, destination, async (temp) => {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  });
}
