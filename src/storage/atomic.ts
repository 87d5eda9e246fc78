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

/** Writes `data` to `destination` through a temp file in `tempDir`. */
export async function writeFileAtomic(tempDir: string, destination: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const temp = tempPath(tempDir);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await commitTempFile(temp, destination);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
