import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { StorageLayout } from '../src/storage/layout.ts';
import { LocalCache } from '../src/storage/local-cache.ts';
import { REPO_ROOT } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';

const KB = 1024;
const MODIFIED_MS = Date.UTC(2026, 11, 1, 12, 0, 0);

/** A rendition-shaped path in the cache, and a temp file of `bytes` to admit there (its mtime the object's, as BucketFiles sets it). */
async function staged(layout: StorageLayout, name: string, bytes: number): Promise<{ file: string; temp: string }> {
  const temp = path.join(layout.tempDir, `${name}.part`);
  await writeFile(temp, Buffer.alloc(bytes, name.charCodeAt(0)));
  await utimes(temp, new Date(MODIFIED_MS), new Date(MODIFIED_MS));
  return { file: layout.derivedPath(`${name.padEnd(22, 'x')}`, 'thumb', 1, 'webp'), temp };
}

async function bytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function cacheFor(): Promise<{ layout: StorageLayout; dataDir: string }> {
  const dataDir = await makeTempDir('lightbox-cache-');
  const layout = new StorageLayout(dataDir, true);
  await mkdir(layout.tempDir, { recursive: true });
  return { layout, dataDir };
}

describe('the local cache of a bucket’s files (LIGHTBOX_LOCAL_CACHE_MB)', () => {
  it('stays within its bound, evicting the least recently used, and remembers the evicted files’ validators', async () => {
    const { layout } = await cacheFor();
    const cache = new LocalCache(layout, 10 * KB);
    try {
      const files: string[] = [];
      for (const name of ['a', 'b', 'c', 'd']) {
        const { file, temp } = await staged(layout, name, 2 * KB);
        cache.admit(temp, file, { size: 2 * KB, modifiedMs: MODIFIED_MS });
        files.push(file);
      }
      assert.equal(cache.bytes, 8 * KB);
      cache.touch(files[0] as string); // a is now the most recently used
      cache.flush();
      const { file, temp } = await staged(layout, 'e', 3 * KB);
      cache.admit(temp, file, { size: 3 * KB, modifiedMs: MODIFIED_MS });
      assert.ok(cache.bytes <= 10 * KB, `${cache.bytes} bytes kept`);
      assert.equal(await bytesOnDisk(path.join(layout.cacheDir, 'derived')), cache.bytes, 'the count is what is on disk');
      const present = async (at: string) => (await stat(at).catch(() => undefined)) !== undefined;
      assert.equal(await present(files[0] as string), true, 'the one used last stayed');
      assert.equal(await present(files[1] as string), false, 'the least recently used went first');
      assert.equal(await present(file), true);
      assert.deepEqual(cache.known(files[1] as string), { size: 2 * KB, modifiedMs: MODIFIED_MS }, 'its validators are still known');
    } finally {
      cache.close();
    }
  });

  it('holds its bound when several processes fill it at once', async () => {
    const { layout, dataDir } = await cacheFor();
    const bound = 64 * KB;
    // Each writer is its own process, with its own connection to data/cache/index.db, as a cluster's workers are.
    const writer = (label: string) =>
      new Promise<number | null>((resolve, reject) => {
        const script = `
          import { mkdir, utimes, writeFile } from 'node:fs/promises';
          import path from 'node:path';
          import { StorageLayout } from './src/storage/layout.ts';
          import { LocalCache } from './src/storage/local-cache.ts';
          const layout = new StorageLayout(${JSON.stringify(dataDir)}, true);
          const cache = new LocalCache(layout, ${bound});
          for (let i = 0; i < 60; i++) {
            const temp = path.join(layout.tempDir, '${label}-' + i + '.part');
            await writeFile(temp, Buffer.alloc(3000 + i * 17));
            const file = layout.derivedPath('${label}' + String(i).padStart(21, '0'), 'thumb', 1, 'webp');
            cache.admit(temp, file, { size: 3000 + i * 17, modifiedMs: ${MODIFIED_MS} });
            if (i % 3 === 0) cache.touch(file);
          }
          cache.close();
        `;
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          cwd: REPO_ROOT,
          stdio: 'inherit',
        });
        child.once('error', reject);
        child.once('exit', resolve);
      });
    const codes = await Promise.all(['p', 'q', 'r'].map(writer));
    assert.deepEqual(codes, [0, 0, 0]);
    const cache = new LocalCache(layout, bound);
    try {
      const onDisk = await bytesOnDisk(path.join(layout.cacheDir, 'derived'));
      assert.ok(onDisk <= bound, `${onDisk} bytes on disk, bound ${bound}`);
      assert.equal(cache.bytes, onDisk, 'every process counted what it placed and what it evicted');
      assert.ok(onDisk > bound / 2, `${onDisk}: the cache was used, not emptied`);
    } finally {
      cache.close();
    }
  });

  it('uses it cannot write (the index locked by another process past its busy timeout) are a warning, never a crash', async () => {
    const { layout } = await cacheFor();
    const cache = new LocalCache(layout, 10 * KB);
    const other = new Database(path.join(layout.cacheDir, 'index.db'));
    try {
      const { file, temp } = await staged(layout, 'a', 2 * KB);
      cache.admit(temp, file, { size: 2 * KB, modifiedMs: MODIFIED_MS });
      const warned = new Promise<Error>((resolve) => {
        const onWarning = (warning: Error) => {
          if (warning.name !== 'LocalCacheWarning') return;
          process.off('warning', onWarning);
          resolve(warning);
        };
        process.on('warning', onWarning);
      });
      other.exec('BEGIN IMMEDIATE');
      // A request's hit only notes the use: it neither writes the index nor waits for its lock.
      const touchedAt = performance.now();
      for (let i = 0; i < 30_000; i++) cache.touch(`${file}-${i}`);
      assert.ok(performance.now() - touchedAt < 1_000, 'touches wait for nothing');
      // The flush timer does not hold a process open; this test waits for it.
      const waiting = setTimeout(() => {}, 30_000);
      assert.match((await warned).message, /could not record recent uses: database is locked/);
      clearTimeout(waiting);
      other.exec('COMMIT');
      cache.touch(file);
      cache.flush();
      assert.equal(cache.bytes, 2 * KB, 'the cache goes on once the lock is free');
    } finally {
      other.close();
      cache.close();
    }
  });
});
