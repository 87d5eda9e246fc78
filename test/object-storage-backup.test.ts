import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';
import { freshBucket, type StartedSwift, swiftSkip } from './helpers/swift.ts';

const PHOTOS = {
  harbour: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'),
  hills: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'),
  camera: path.join(FIXTURE_PHOTOS, 'cameras', 'canon-ixus.jpg'),
};

async function keys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key as string).sort();
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('backup, restore, verify and storage migrate with a bucket (a real Swift)', { skip: swiftSkip }, () => {
  let swift: StartedSwift;
  let client: S3Client;
  let bucket: string;
  let env: Record<string, string>;
  let dataDir: string;

  before(async () => {
    const made = await freshBucket('photos');
    swift = made.swift;
    bucket = made.bucket;
    env = made.env;
    client = swift.client();
    // A bucket library, made by a server that is gone again (backup and verify run beside none).
    const server = await startTestServer(env);
    await buildLibrary(server.dataDir, {
      albums: { Trip: 'PUBLIC' },
      photos: { harbour: { file: PHOTOS.harbour, albums: ['Trip'] }, hills: { file: PHOTOS.hills, albums: ['Trip'] } },
    });
    await server.app.close();
    dataDir = server.dataDir;
  });

  after(() => client?.destroy());

  it('backs a bucket library up to a local folder, and verify reads every original from the bucket', async () => {
    const backupDir = path.join(await makeTempDir(), 'backup');
    const backedUp = await runCli(['backup', backupDir], { ...env, LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(backedUp.stdout, /Backed up 2 photos/);
    assert.match(backedUp.stdout, /2 originals added this time \(0 hard-linked, 2 copied\)/);
    const backedUpFiles = await readdir(path.join(backupDir, 'originals'), { recursive: true });
    assert.equal(backedUpFiles.filter((name) => name.endsWith('.jpg')).length, 2);
    const checked = await runCli(['verify', backupDir], {});
    assert.equal(checked.code, 0, checked.stdout);

    const verified = await runCli(['verify'], { ...env, LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /every original is present and matches its SHA-256/);
    assert.match(verified.stdout, /no original is left without its photo/);

    // Damage one original in the bucket (same key, other bytes), and leave an object no photo names.
    const [damaged] = await keys(client, bucket, 'photos/originals/');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: damaged, Body: await readFile(PHOTOS.camera) }));
    const stray = `photos/originals/00/11/${'0011'.padEnd(64, 'f')}.jpg`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: stray, Body: 'stray' }));
    try {
      const found = await runCli(['verify'], { ...env, LIGHTBOX_DATA_DIR: dataDir });
      assert.equal(found.code, 1);
      assert.match(found.stdout, new RegExp(`${String(damaged).replace('photos/', '')}: \\d+ bytes, expected \\d+`));
      assert.match(found.stdout, /1 files under originals\/ belong to no photo/);
    } finally {
      const original = backedUpFiles.find((name) => String(damaged).endsWith(name)) as string;
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: damaged, Body: await readFile(path.join(backupDir, 'originals', original)) }),
      );
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: stray }));
    }
  });

  it('restores a backup into a new data dir whose photos go into a bucket, and verify finds them there', async () => {
    const backupDir = path.join(await makeTempDir(), 'backup');
    assert.equal((await runCli(['backup', backupDir], { ...env, LIGHTBOX_DATA_DIR: dataDir })).code, 0);
    const target = { ...env, LIGHTBOX_STORAGE: `s3://${bucket}/restored` };
    const restoredDir = path.join(await makeTempDir(), 'restored');
    const restored = await runCli(['restore', backupDir], { ...target, LIGHTBOX_DATA_DIR: restoredDir });
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`the originals into s3://${bucket}/restored`));
    assert.equal((await keys(client, bucket, 'restored/originals/')).length, 2);
    const [location, id] = (await readFile(path.join(restoredDir, 'storage'), 'utf8')).trim().split('\n');
    assert.equal(location, `s3://${bucket}/restored`);
    assert.equal(id, (await readFile(path.join(dataDir, 'storage'), 'utf8')).trim().split('\n')[1], 'the library keeps its id');
    assert.equal(
      await readdir(path.join(restoredDir, 'originals'))
        .catch(() => [])
        .then((names) => names.length),
      0,
    );
    const verified = await runCli(['verify'], { ...target, LIGHTBOX_DATA_DIR: restoredDir });
    assert.equal(verified.code, 0, verified.stdout);
    const refused = await runCli(['verify'], { LIGHTBOX_DATA_DIR: restoredDir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /LIGHTBOX_STORAGE: the library in .* keeps its 2 photos in s3:\/\/.*\/restored, not in local/);
  });

  it('migrates a local library into a bucket and back, resumably, each copy checked, and records where it is', async () => {
    const local = await startTestServer({ LIGHTBOX_STORAGE: 'local' });
    await buildLibrary(local.dataDir, {
      albums: {},
      photos: { harbour: { file: PHOTOS.harbour, albums: [] }, camera: { file: PHOTOS.camera, albums: [] } },
    });
    const running = await runCli(['storage', 'migrate', '--to', `s3://${bucket}/moved`], { ...env, LIGHTBOX_DATA_DIR: local.dataDir });
    assert.equal(running.code, 1);
    assert.match(running.stderr, /a server \(pid \d+\) is running on .*: stop it/);
    await local.app.close();
    const moveEnv = { ...env, LIGHTBOX_STORAGE: '', LIGHTBOX_DATA_DIR: local.dataDir };

    const moved = await runCli(['storage', 'migrate', '--to', `s3://${bucket}/moved`], moveEnv);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(existsSync(path.join(local.dataDir, 'serve.lock')), false, 'the server lock it held while copying is released');
    assert.match(moved.stdout, /Copied 2 originals and 0 renditions .* each checked by SHA-256; 0 were there already/);
    assert.match(moved.stdout, new RegExp(`Start it with LIGHTBOX_STORAGE=s3://${bucket}/moved`));
    const record = await readFile(path.join(local.dataDir, 'storage'), 'utf8');
    assert.equal(record.split('\n')[0], `s3://${bucket}/moved`);
    const refused = await runCli(['album', 'list'], { LIGHTBOX_DATA_DIR: local.dataDir });
    assert.equal(refused.code, 1, 'a start without LIGHTBOX_STORAGE is refused now');

    // A run cut short: the record still says local, one object never arrived.
    await writeFile(path.join(local.dataDir, 'storage'), record.replace(/^.*\n/, 'local\n'));
    const [lost] = await keys(client, bucket, 'moved/originals/');
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: lost }));
    const resumed = await runCli(['storage', 'migrate', '--to', `s3://${bucket}/moved`], moveEnv);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /Copied 1 originals and 0 renditions .*; 1 were there already/);

    // And back, into a data dir whose own originals are gone meanwhile.
    await rm(path.join(local.dataDir, 'originals'), { recursive: true, force: true });
    const back = await runCli(['storage', 'migrate', '--to', 'local'], {
      ...env,
      LIGHTBOX_STORAGE: `s3://${bucket}/moved`,
      LIGHTBOX_DATA_DIR: local.dataDir,
    });
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /Copied 2 originals/);
    const originals = (await readdir(path.join(local.dataDir, 'originals'), { recursive: true })).filter((name) => name.endsWith('.jpg'));
    const hashes = await Promise.all(originals.map((name) => sha256(path.join(local.dataDir, 'originals', name))));
    assert.deepEqual(hashes.sort(), [await sha256(PHOTOS.harbour), await sha256(PHOTOS.camera)].sort());
    const verified = await runCli(['verify'], { LIGHTBOX_DATA_DIR: local.dataDir });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});
