import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const LIBRARY_QUERY = `{
  albums(first: 10, orderBy: TITLE_ASC) { nodes { id title visibility photos(first: 20) { nodes { id } } } }
  photos(first: 20, orderBy: TITLE_ASC) { nodes { id title width height takenAt mimeType byteSize albums { title } } }
}`;

async function library(server: TestServer): Promise<unknown> {
  const response = await request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...server.admin },
    body: JSON.stringify({ query: LIBRARY_QUERY }),
  });
  const body = (await response.body.json()) as { data: unknown; errors?: unknown };
  assert.equal(body.errors, undefined);
  return body.data;
}

/** Every original as the admin receives it, by photo id. */
async function originals(server: TestServer): Promise<Map<string, Buffer>> {
  const response = await request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...server.admin },
    body: JSON.stringify({ query: '{ photos(first: 100) { nodes { id image(variant: ORIGINAL) { url } } } }' }),
  });
  const { data } = (await response.body.json()) as { data: { photos: { nodes: { id: string; image: { url: string } }[] } } };
  const files = new Map<string, Buffer>();
  for (const photo of data.photos.nodes) {
    const image = await request(`${server.url}${photo.image.url}`);
    assert.equal(image.statusCode, 200);
    files.set(photo.id, Buffer.from(await image.body.arrayBuffer()));
  }
  return files;
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('backup, restore and verify hold the whole library', () => {
  it('a backup made while an import runs restores into a library identical photo by photo, byte by byte', async () => {
    // The token is the one kept in the data dir (generated on first start), as for a real user.
    const server = await startTestServer({ LIGHTBOX_ADMIN_TOKEN: '' });
    server.admin.authorization = `Bearer ${(await readFile(path.join(server.dataDir, 'admin-token'), 'utf8')).trim()}`;
    const backupDir = path.join(await makeTempDir(), 'backup');
    const env = { LIGHTBOX_DATA_DIR: server.dataDir };
    try {
      assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--public'], env)).code, 0);
      // The backup runs while another import writes; whatever the snapshot holds, it holds whole.
      const [imported, backedUp] = await Promise.all([
        runCli(['import', path.join(FIXTURE_PHOTOS, 'cameras'), '--album', 'Cameras'], env),
        runCli(['backup', backupDir], env),
      ]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal(backedUp.code, 0, backedUp.stderr);
      assert.match(backedUp.stdout, /^Backed up \d+ photos in \d+ albums/);

      // Again, after the import: only what is new is added.
      const again = await runCli(['backup', backupDir], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Backed up 9 photos in 2 albums/);
      const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8')) as {
        counts: { photos: number; originals: number };
        originals: { path: string; sha256: string }[];
      };
      assert.equal(manifest.counts.photos, 9);
      assert.equal(manifest.originals.length, 9);
      for (const original of manifest.originals) assert.match(original.sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual((await filesUnder(path.join(backupDir, 'originals'))).length, 9, 'no original twice');

      const verified = await runCli(['verify'], env);
      assert.equal(verified.code, 0, verified.stdout);
      assert.match(verified.stdout, /Checked 9 photos .*\n {2}every original is present and matches its SHA-256/);

      const restoredDir = path.join(await makeTempDir(), 'restored', 'data');
      const restored = await runCli(['restore', backupDir], { LIGHTBOX_DATA_DIR: restoredDir });
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /^Restored 9 photos in 2 albums/);
      // The same secret and token came along: the admin token of the old server works on the new one.
      assert.equal(
        (await readFile(path.join(restoredDir, 'admin-token'), 'utf8')).trim(),
        (await readFile(path.join(server.dataDir, 'admin-token'), 'utf8')).trim(),
      );
      const copy = await startTestServer({ LIGHTBOX_DATA_DIR: restoredDir, LIGHTBOX_ADMIN_TOKEN: '' });
      try {
        copy.admin.authorization = server.admin.authorization;
        assert.deepEqual(await library(copy), await library(server));
        const before = await originals(server);
        const after = await originals(copy);
        assert.equal(after.size, 9);
        for (const [id, bytes] of before) assert.ok(after.get(id)?.equals(bytes), `original of ${id} byte for byte`);
        assert.equal((await runCli(['verify'], { LIGHTBOX_DATA_DIR: restoredDir })).code, 0);
      } finally {
        await copy.close();
      }

      // Restore never writes over a library.
      const onto = await runCli(['restore', backupDir], env);
      assert.equal(onto.code, 2);
      assert.match(onto.stderr, /is not empty: restore into a new or empty data dir/);
    } finally {
      await server.close();
    }
  });

  it('a damaged original is reported by restore (which restores nothing) and by verify', async () => {
    const server = await startTestServer();
    const backupDir = path.join(await makeTempDir(), 'backup');
    const env = { LIGHTBOX_DATA_DIR: server.dataDir };
    try {
      assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps')], env)).code, 0);
      assert.equal((await runCli(['backup', backupDir], env)).code, 0);
      const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8')) as { originals: { path: string }[] };
      const victim = manifest.originals[0]?.path as string;
      // Hard links share bytes with the library: damage a copy of the file, not the library's.
      const damaged = Buffer.from(await readFile(path.join(backupDir, victim)));
      damaged[damaged.length >> 1] = (damaged[damaged.length >> 1] ?? 0) ^ 0xff;
      await writeFile(`${path.join(backupDir, victim)}.new`, damaged);
      const { rename } = await import('node:fs/promises');
      await rename(`${path.join(backupDir, victim)}.new`, path.join(backupDir, victim));

      const restoredDir = path.join(await makeTempDir(), 'restored');
      const restored = await runCli(['restore', backupDir], { LIGHTBOX_DATA_DIR: restoredDir });
      assert.equal(restored.code, 1);
      assert.match(
        restored.stderr,
        new RegExp(`damaged; nothing was restored \\(1 problems\\):\\n {2}${victim}: damaged: its SHA-256 does not match`),
      );
      assert.equal(await readdir(restoredDir).catch(() => 'absent'), 'absent', 'nothing written');
      const checked = await runCli(['verify', backupDir], env);
      assert.equal(checked.code, 1);
      assert.match(checked.stdout, new RegExp(`1 problems:\\n {2}${victim}: damaged: its SHA-256 does not match`));

      // The same damage in the library itself: verify names the file and fails.
      const libraryFile = path.join(server.dataDir, victim);
      await writeFile(`${libraryFile}.new`, damaged);
      await rename(`${libraryFile}.new`, libraryFile);
      await writeFile(path.join(server.dataDir, 'originals', 'stray.jpg'), 'left behind');
      const verified = await runCli(['verify'], env);
      assert.equal(verified.code, 1);
      assert.match(verified.stdout, new RegExp(`1 problems:\\n {2}${victim}: damaged: its SHA-256 does not match`));
      assert.match(verified.stdout, /1 files under originals\/ belong to no photo.*\n {2}originals\/stray\.jpg: no photo refers to it/);
    } finally {
      await server.close();
    }
  });
});
