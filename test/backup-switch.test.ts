import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BACKUP_STEPS, type BackupStep, checkBackup, readManifest, restoreLibrary } from '../src/storage/backup.ts';
import { FIXTURE_PHOTOS, REPO_ROOT, runCli } from './helpers/cli.ts';
import { backUp, importIntoDataDir } from './helpers/library.ts';
import { makeTempDir } from './helpers/server.ts';

const BACKUP_MODULE = path.join(REPO_ROOT, 'src/storage/backup.ts');
const STORE_MODULE = path.join(REPO_ROOT, 'src/storage/open-store.ts');

/** `lightbox backup`, in its own process, killed with SIGKILL (nothing runs after it) right after `step`. */
function backupKilledAfter(dataDir: string, target: string, step: BackupStep): Promise<NodeJS.Signals | null> {
  const script = `
    import { backupLibrary } from ${JSON.stringify(BACKUP_MODULE)};
    import { openStore } from ${JSON.stringify(STORE_MODULE)};
    const store = await openStore({ dataDir: ${JSON.stringify(dataDir)} }, { create: true });
    await backupLibrary(store, ${JSON.stringify(target)}, {
      afterStep: (step) => { if (step === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); },
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (_code, signal) => resolve(signal));
  });
}

function photosIn(databaseFile: string): number {
  const db = new Database(databaseFile, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM photos').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function modeOf(file: string): Promise<string> {
  return ((await stat(file)).mode & 0o777).toString(8);
}

/** The backup as verify and restore see it: whole, and restoring the photos its manifest counts. */
async function restorable(backupDir: string): Promise<number> {
  const manifest = await readManifest(backupDir);
  assert.deepEqual(await checkBackup(backupDir, manifest), [], `${backupDir} verifies`);
  const restoredDir = path.join(await makeTempDir(), 'data');
  const { problems } = await restoreLibrary(backupDir, restoredDir);
  assert.deepEqual(problems, []);
  assert.equal(photosIn(path.join(restoredDir, 'lightbox.db')), manifest.counts.photos);
  return manifest.counts.photos;
}

/** Nothing but the current snapshot and the one before it: no unfinished snapshot, temp folder or lock is left. */
async function assertTidy(backupDir: string): Promise<void> {
  const entries = (await readdir(backupDir)).sort();
  assert.deepEqual(entries, ['.lightbox-backup', 'manifest.json', 'originals', 'snapshots']);
  const manifest = await readManifest(backupDir);
  const kept = [manifest.snapshot, manifest.previousSnapshot].filter((kept) => kept?.startsWith('snapshots/'));
  assert.deepEqual((await readdir(path.join(backupDir, 'snapshots'))).map((name) => `snapshots/${name}`).sort(), kept.sort());
}

describe('a backup killed at any moment leaves a backup that verifies and restores', () => {
  let dataDir: string;
  let goodBackup: string;

  before(async () => {
    dataDir = await makeTempDir();
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
    goodBackup = path.join(await makeTempDir(), 'backup');
    assert.equal((await backUp(dataDir, goodBackup)).photos, 3);
    // The library moves on: the next run has 6 photos more to take.
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'cameras'));
  });

  it('a re-run killed after any step: the last good backup, or the new one, is current; the next run finishes', async () => {
    const switched = BACKUP_STEPS.indexOf('switched');
    for (const [index, step] of BACKUP_STEPS.entries()) {
      const backupDir = path.join(await makeTempDir(), 'backup');
      await cp(goodBackup, backupDir, { recursive: true });
      assert.equal(await backupKilledAfter(dataDir, backupDir, step), 'SIGKILL', `killed after ${step}`);
      assert.equal(await restorable(backupDir), index < switched ? 3 : 9, `killed after ${step}: the backup current then`);

      const again = await backUp(dataDir, backupDir);
      assert.equal(again.photos, 9, `the run after a kill at ${step}`);
      assert.equal(again.added.linked + again.added.copied, index < BACKUP_STEPS.indexOf('originals-added') ? 6 : 0, 'resumed');
      assert.equal(await restorable(backupDir), 9);
      await assertTidy(backupDir);
    }
  });

  it('a first backup killed after any step is recognised as unfinished, never restored, and resumed by the next run', async () => {
    for (const step of BACKUP_STEPS.slice(0, BACKUP_STEPS.indexOf('switched'))) {
      const backupDir = path.join(await makeTempDir(), 'backup');
      assert.equal(await backupKilledAfter(dataDir, backupDir, step), 'SIGKILL', `killed after ${step}`);
      await assert.rejects(readManifest(backupDir), /holds an unfinished first backup .*run `lightbox backup` into it again/);
      const restoredDir = path.join(await makeTempDir(), 'data');
      await assert.rejects(restoreLibrary(backupDir, restoredDir), /unfinished first backup/);
      await assert.rejects(stat(restoredDir), { code: 'ENOENT' }, 'nothing restored');

      const again = await backUp(dataDir, backupDir);
      assert.equal(again.first, true);
      assert.equal(await restorable(backupDir), 9, `the run after a kill at ${step}`);
      await assertTidy(backupDir);
    }
  });

  it('what an older Lightbox left when killed in its first backup (originals/, tmp/, no manifest) is resumed, not refused', async () => {
    const backupDir = path.join(await makeTempDir(), 'backup');
    await cp(path.join(dataDir, 'originals'), path.join(backupDir, 'originals'), { recursive: true });
    await mkdir(path.join(backupDir, 'tmp'));
    await writeFile(path.join(backupDir, 'tmp', 'lightbox.db.4242.part'), 'half a database');
    const backedUp = await runCli(['backup', backupDir], { LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(backedUp.stdout, /Backed up 9 photos in \d+ albums .*\n {2}0 originals added this time/);
    assert.equal(await restorable(backupDir), 9);
    await assertTidy(backupDir);

    // A folder with anything else in it is still refused: a typo never mixes a backup into someone's files.
    const foreign = await makeTempDir();
    await writeFile(path.join(foreign, 'notes.txt'), 'mine');
    const refused = await runCli(['backup', foreign], { LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /is not empty and holds no Lightbox backup/);
  });

  it('the database, secret, token and manifest are 0600 in the backup and after a restore', async () => {
    const backupDir = path.join(await makeTempDir(), 'backup');
    const env = { LIGHTBOX_DATA_DIR: dataDir };
    // As a server leaves them on its first start.
    for (const file of ['secret', 'admin-token']) await writeFile(path.join(dataDir, file), `${file}-value\n`, { mode: 0o600 });
    assert.equal((await runCli(['backup', backupDir], env)).code, 0);
    // A second run writes a new snapshot: it must be private too, not only the first.
    const again = await runCli(['backup', backupDir], env);
    assert.equal(again.code, 0, again.stderr);
    const manifest = await readManifest(backupDir);
    const snapshot = path.join(backupDir, manifest.snapshot);
    for (const file of [
      path.join(snapshot, 'lightbox.db'),
      path.join(snapshot, 'secret'),
      path.join(snapshot, 'admin-token'),
      path.join(backupDir, 'manifest.json'),
    ]) {
      assert.equal(await modeOf(file), '600', file);
    }
    assert.equal(await modeOf(backupDir), '700', 'a folder the backup made is private');
    assert.equal((await runCli(['verify', backupDir], env)).code, 0);
    assert.deepEqual(
      await readdir(snapshot).then((names) => names.filter((name) => name.startsWith('lightbox.db-'))),
      [],
      'no -wal or -shm',
    );

    const restoredDir = path.join(await makeTempDir(), 'data');
    const restored = await runCli(['restore', backupDir], { LIGHTBOX_DATA_DIR: restoredDir });
    assert.equal(restored.code, 0, restored.stderr);
    for (const file of ['lightbox.db', 'secret', 'admin-token'])
      assert.equal(await modeOf(path.join(restoredDir, file)), '600', `restored ${file}`);
  });
});
