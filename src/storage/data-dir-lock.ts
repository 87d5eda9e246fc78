import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LightboxError } from '../errors.ts';

export interface DataDirLock {
  release(): void;
}

function holderOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists on this host. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the server running on this data dir, if one is. */
export function serverOf(dataDir: string): number | undefined {
  const holder = holderOf(path.join(dataDir, 'serve.lock'));
  return holder !== undefined && isProcessAlive(holder) ? holder : undefined;
}

/**
 * One server per data dir: two would share one job queue and sweep each other's temp files.
 * The lock is a file holding the server's pid, created exclusively; one left by a process that
 * is gone (killed, crashed) is taken over. `lightbox worker` and the other commands take none.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, 'serve.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = holderOf(file);
      if (holder !== undefined && isProcessAlive(holder)) {
        throw new LightboxError(
          'DATA_DIR_IN_USE',
          `${dataDir} is already served by another Lightbox (pid ${holder}): stop it first, or set LIGHTBOX_DATA_DIR to another folder ` +
            `(if no Lightbox runs there, delete ${file})`,
        );
      }
      unlinkSync(file);
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return {
      release: () => {
        if (holderOf(file) === process.pid) unlinkSync(file);
      },
    };
  }
  throw new LightboxError('DATA_DIR_IN_USE', `${dataDir}: could not take the server lock (${file}); another server is starting`);
}
