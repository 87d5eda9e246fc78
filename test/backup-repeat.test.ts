import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkBackup, checkLibrary, readManifest } from '../src/storage/backup.ts';
import { openStore } from '../src/storage/open-store.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { backUp, importIntoDataDir } from './helpers/library.ts';
import { storedPhoto } from './helpers/photos.ts';
import { makeTempDir } from './helpers/server.ts';

type Module = Record<string, unknown>;

/**
 * Records every path handed to node:fs and node:fs/promises while `run` runs, by wrapping each
 * function of both modules (ES module imports included: syncBuiltinESMExports updates them).
 * SQLite opens its files natively, unseen here; no original is a database file.
 */
async function pathsTouchedBy<T>(run: () => Promise<T>): Promise<{ result: T; touched: string[] }> {
  const touched: string[] = [];
  const restore: (() => void)[] = [];
  for (const module of [fs as unknown as Module, fsPromises as unknown as Module]) {
    for (const [name, original] of Object.entries(module)) {
      if (typeof original !== 'function' || /^[A-Z]/.test(name)) continue;
      module[name] = function (this: unknown, ...args: unknown[]) {
        for (const arg of args.slice(0, 2)) if (typeof arg === 'string') touched.push(path.resolve(arg));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      restore.push(() => {
        module[name] = original;
      });
    }
  }
  syncBuiltinESMExports();
  try {
    return { result: await run(), touched };
  } finally {
    for (const undo of restore) undo();
    syncBuiltinESMExports();
  }
}

function under(dir: string, files: string[]): string[] {
  return [...new Set(files.filter((file) => file.startsWith(`${dir}${path.sep}`)))].sort();
}

/** Replaces a file by one of the same size with other bytes (a new inode: a backup's hard link keeps the old bytes). */
async function damageInPlaceOfItsName(file: string): Promise<void> {
  const bytes = Buffer.from(await fsPromises.readFile(file));
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
  await fsPromises.writeFile(`${file}.new`, bytes);
  await fsPromises.rename(`${file}.new`, file);
}

describe('a repeat backup trusts its manifest for what it holds', () => {
  it('with nothing new it touches no original, in the library or the backup; verify still reads them all', async () => {
    const dataDir = await makeTempDir();
    const backupDir = path.join(await makeTempDir(), 'backup');
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
    assert.equal((await backUp(dataDir, backupDir)).added.linked, 3);
    const damaged = storedPhoto(dataDir, 'DSCN0010.jpg').file;
    await damageInPlaceOfItsName(damaged);

    const repeat = await pathsTouchedBy(() => backUp(dataDir, backupDir));
    assert.deepEqual(repeat.result.missing, []);
    assert.deepEqual(repeat.result.added, { linked: 0, copied: 0 });
    assert.equal(repeat.result.photos, 3);
    assert.deepEqual(under(path.join(dataDir, 'originals'), repeat.touched), [], 'no original of the library');
    assert.deepEqual(under(path.join(backupDir, 'originals'), repeat.touched), [], 'no original of the backup');
    assert.ok(repeat.touched.includes(path.join(backupDir, 'manifest.json')), 'the recorder sees what the backup opens');

    // verify reads every original: the library's damage shows there; the backup kept the good bytes.
    const store = await openStore({ dataDir }, { create: true });
    try {
      const check = await checkLibrary(store);
      assert.deepEqual(
        check.problems.listed.map((problem) => [problem.file, problem.problem]),
        [[path.relative(dataDir, damaged), 'damaged: its SHA-256 does not match']],
      );
    } finally {
      store.close();
    }
    assert.deepEqual(await checkBackup(backupDir, await readManifest(backupDir)), []);
  });

  it('with new photos it touches only their originals, and the manifest lists every original once, by SHA-256', async () => {
    const dataDir = await makeTempDir();
    const backupDir = path.join(await makeTempDir(), 'backup');
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
    await backUp(dataDir, backupDir);
    const before = new Set((await readManifestJson(backupDir)).originals.map((original) => original.path));
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'cameras'));

    const next = await pathsTouchedBy(() => backUp(dataDir, backupDir));
    assert.deepEqual(next.result.added, { linked: 6, copied: 0 });
    const manifest = await readManifestJson(backupDir);
    const added = manifest.originals.map((original) => original.path).filter((file) => !before.has(file));
    assert.equal(added.length, 6);
    assert.deepEqual(
      under(path.join(dataDir, 'originals'), next.touched),
      added.map((file) => path.join(dataDir, file)).sort(),
      'only the new originals of the library',
    );
    const hashes = manifest.originals.map((original) => original.sha256);
    assert.deepEqual(hashes, [...hashes].sort(), 'sorted, so the next run walks it beside the rows');
    assert.equal(new Set(hashes).size, 9);
    assert.deepEqual(await checkBackup(backupDir, await readManifest(backupDir)), []);
  });

  it('backup and verify end with their time and peak memory', async () => {
    const dataDir = await makeTempDir();
    const backupDir = path.join(await makeTempDir(), 'backup');
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
    const env = { LIGHTBOX_DATA_DIR: dataDir };
    for (const args of [['backup', backupDir], ['verify'], ['verify', backupDir]]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\nDone in \d+\.\d s, peak RSS \d+ MB\.\n$/, args.join(' '));
    }
  });
});

async function readManifestJson(backupDir: string): Promise<{ originals: { path: string; sha256: string }[] }> {
  return JSON.parse(await fsPromises.readFile(path.join(backupDir, 'manifest.json'), 'utf8'));
}
