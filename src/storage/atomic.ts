import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A unique name in `dir`; temp files share the destination's file system so rename is atomic. */
export function tempPath(dir: string, label = 'part'): string {
  return path.join(dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.${label}`);
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
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
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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
