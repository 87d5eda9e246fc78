import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../src/db/client.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

function countRows(dataDir: string, sql: string): number {
  const handle = openDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true });
  try {
    return (handle.sqlite.prepare(sql).get() as { n: number }).n;
  } finally {
    handle.close();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('lightbox import <dir>, beside a running server', () => {
  let server: TestServer;
  let source: string;

  before(async () => {
    server = await startTestServer();
    source = await makeTempDir('lightbox-import-src-');
    await mkdir(path.join(source, 'trip', 'day-2'), { recursive: true });
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), path.join(source, 'trip', 'DSCN0010.jpg'));
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), path.join(source, 'trip', 'day-2', 'DSCN0021.jpg'));
    // The same bytes twice under another name: stored once.
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), path.join(source, 'trip', 'day-2', 'copy-of-0010.jpg'));
    await writeFile(path.join(source, 'trip', 'notes.txt'), 'not a photo');
    await writeFile(path.join(source, 'trip', 'fake.jpg'), 'text pretending to be a JPEG');
    const jpeg = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0040.jpg'));
    // A JPEG signature followed by garbage: sniffed as JPEG, undecodable.
    const corrupt = Buffer.concat([jpeg.subarray(0, 4), Buffer.alloc(4096, 0x5a)]);
    await writeFile(path.join(source, 'trip', 'corrupt.jpg'), corrupt);
  });

  after(async () => {
    await server.close();
  });

  it('imports images, skips non-images with a reason, reports corrupt files as failures', async () => {
    const result = await runCli(['import', source], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(result.code, 1, 'a failed image makes the exit code non-zero');
    assert.match(result.stdout, /notes\.txt: skipped: not an image format/);
    assert.match(result.stdout, /fake\.jpg: skipped: not an image format/);
    assert.match(result.stdout, /corrupt\.jpg: FAILED: could not be decoded/);
    assert.match(result.stdout, /copy-of-0010\.jpg: already imported as [A-Za-z0-9+/=]{40}|DSCN0010\.jpg: already imported/);
    assert.match(result.stdout, /Done: 2 imported, 1 already there, 2 skipped \(not images\), 1 failed, of 6 files\./);
    assert.match(result.stdout, /failed: trip\/corrupt\.jpg: could not be decoded/);
    assert.equal(countRows(server.dataDir, 'SELECT count(*) AS n FROM photos'), 2);
  });

  it('stores each original once, under its SHA-256, with no temp file left behind', async () => {
    const originals = await filesUnder(path.join(server.dataDir, 'originals'));
    assert.equal(originals.length, 2);
    for (const file of originals) assert.match(path.basename(file), /^[0-9a-f]{64}\.jpg$/);
    assert.deepEqual(await filesUnder(path.join(server.dataDir, 'tmp')), []);
  });

  it('files each folder into an album named by its path below the imported folder, private by default', () => {
    assert.equal(countRows(server.dataDir, "SELECT count(*) AS n FROM albums WHERE visibility = 'PRIVATE'"), 2);
    assert.equal(
      countRows(
        server.dataDir,
        "SELECT count(*) AS n FROM album_photos JOIN albums ON albums.id = album_id WHERE albums.title = 'trip/day-2'",
      ),
      2,
      'day-2 holds its own photo and the duplicate of the trip photo',
    );
    assert.equal(countRows(server.dataDir, "SELECT count(*) AS n FROM albums WHERE title = 'trip'"), 1);
  });

  it('re-running skips what is already there and changes nothing', async () => {
    const result = await runCli(['import', source], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.match(result.stdout, /Done: 0 imported, 3 already there, 2 skipped \(not images\), 1 failed, of 6 files\./);
    assert.equal(countRows(server.dataDir, 'SELECT count(*) AS n FROM photos'), 2);
    assert.equal(countRows(server.dataDir, 'SELECT count(*) AS n FROM album_photos'), 3);
    assert.equal(countRows(server.dataDir, 'SELECT count(*) AS n FROM albums'), 2);
  });

  it('--album puts everything in one album, --public publishes it', async () => {
    const result = await runCli(['import', path.join(FIXTURE_PHOTOS, 'cameras'), '--album', 'Old cameras', '--public'], {
      LIGHTBOX_DATA_DIR: server.dataDir,
    });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(
      countRows(
        server.dataDir,
        "SELECT count(*) AS n FROM album_photos JOIN albums ON albums.id = album_id WHERE title = 'Old cameras' AND visibility = 'PUBLIC'",
      ),
      6,
    );
  });

  it('an empty folder and a folder of non-images import nothing, with a clear line', async () => {
    const empty = await makeTempDir('lightbox-empty-');
    const emptyResult = await runCli(['import', empty], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(emptyResult.code, 0);
    assert.match(emptyResult.stdout, /No files found in .*: nothing to import\./);

    const texts = await makeTempDir('lightbox-texts-');
    await writeFile(path.join(texts, 'a.txt'), 'a');
    await writeFile(
      path.join(texts, 'b.heic'),
      Buffer.concat([Buffer.from([0, 0, 0, 0x14]), Buffer.from('ftypmsf1\0\0\0\0msf1'), Buffer.alloc(16)]),
    );
    const textResult = await runCli(['import', texts], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(textResult.code, 0);
    assert.match(textResult.stdout, /b\.heic: skipped: a HEIF\/AVIF image sequence or video/);
    assert.match(textResult.stdout, /Done: 0 imported, 0 already there, 2 skipped/);
    assert.equal(countRows(server.dataDir, "SELECT count(*) AS n FROM albums WHERE title LIKE 'lightbox-%'"), 0, 'no empty albums');
  });

  it('a folder that does not exist is one error line', async () => {
    const result = await runCli(['import', '/no/such/folder'], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), 'lightbox: import: /no/such/folder does not exist');
  });
});

describe('lightbox import of folders that share a name', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(() => server.close());

  it('keeps 2023/summer and 2024/summer apart, each named by its path below the imported folder; the folder’s own files by its name', async () => {
    const source = path.join(await makeTempDir('lightbox-import-src-'), 'Pictures');
    await mkdir(path.join(source, '2023', 'summer'), { recursive: true });
    await mkdir(path.join(source, '2024', 'summer'), { recursive: true });
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0040.jpg'), path.join(source, '2023', 'summer', 'DSCN0040.jpg'));
    await copyFile(path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_1.jpg'), path.join(source, '2024', 'summer', 'Landscape_1.jpg'));
    await copyFile(path.join(FIXTURE_PHOTOS, 'orientation', 'Portrait_1.jpg'), path.join(source, 'Portrait_1.jpg'));
    const result = await runCli(['import', source], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(result.code, 0, result.stderr);
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const rows = handle.sqlite
        .prepare(
          'SELECT albums.title AS album, photos.title AS photo FROM albums JOIN album_photos ON album_id = albums.id JOIN photos ON photos.id = photo_id ORDER BY albums.title',
        )
        .all() as { album: string; photo: string }[];
      assert.deepEqual(
        rows.map((row) => [row.album, row.photo]),
        [
          ['2023/summer', 'DSCN0040'],
          ['2024/summer', 'Landscape_1'],
          ['Pictures', 'Portrait_1'],
        ],
      );
    } finally {
      handle.close();
    }
  });
});
