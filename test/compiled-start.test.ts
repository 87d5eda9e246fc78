import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rename, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { distIsFresh } from '../bin/dist.js';
import { buildDist } from '../scripts/build.js';
import { FIXTURE_PHOTOS, REPO_ROOT, runCli, spawnServer } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';

// The compiled dist/ that bin/lightbox.js runs, built here into a folder of its own beside links to
// the checkout's package.json, migrations and node_modules (what the modules read beside
// themselves), so the checkout's own dist/ is never swapped under the other tests' commands.
describe('the compiled command line (dist/)', () => {
  let root: string;
  let compiledMain: string;
  const fromSources = { LIGHTBOX_FROM_SOURCES: '1' };

  before(async () => {
    root = await makeTempDir('lightbox-dist-');
    for (const name of ['package.json', 'drizzle', 'node_modules']) await symlink(path.join(REPO_ROOT, name), path.join(root, name));
    await buildDist({ srcDir: path.join(REPO_ROOT, 'src'), distDir: path.join(root, 'dist') });
    compiledMain = path.join(root, 'dist', 'main.js');
  });

  it('answers --help and every command help exactly as the sources do', async () => {
    for (const args of [['--help'], ['help', 'import'], ['share', '--help'], ['nosuch']]) {
      const compiled = await runCli(args, {}, 60_000, undefined, compiledMain);
      const sources = await runCli(args, fromSources);
      assert.deepEqual(
        { code: compiled.code, stdout: compiled.stdout, stderr: compiled.stderr },
        { code: sources.code, stdout: sources.stdout, stderr: sources.stderr },
        args.join(' '),
      );
    }
  });

  it('makes a library, imports into it (a HEIC through its decoder thread) and serves the photos', { timeout: 180_000 }, async () => {
    const dataDir = path.join(await makeTempDir(), 'data');
    const photos = await makeTempDir('lightbox-dist-photos-');
    await mkdir(path.join(photos, 'trip'));
    await cp(path.join(FIXTURE_PHOTOS, 'cameras', 'nikon-e950.jpg'), path.join(photos, 'trip', 'nikon.jpg'));
    await cp(path.join(FIXTURE_PHOTOS, 'heic', 'landscape-1.heic'), path.join(photos, 'trip', 'landscape.heic'));
    const env = { LIGHTBOX_DATA_DIR: dataDir };
    const imported = await runCli(['import', photos, '--init'], env, 120_000, undefined, compiledMain);
    assert.equal(imported.code, 0, imported.stderr);
    const listed = await runCli(['album', 'list'], env, 60_000, undefined, compiledMain);
    assert.match(listed.stdout, /trip/);
    assert.match(listed.stdout, /2 photos/);

    const server = await spawnServer(dataDir, {}, compiledMain);
    try {
      const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
      const query = '{ photos(first: 10) { edges { node { status thumb: image(variant: THUMB) { url } } } } }';
      // Both photos through the compiled worker (the HEIC through the compiled decoder thread).
      await server.logged('processed a photo', 2);
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as {
        data?: { photos: { edges: { node: { status: string; thumb: { url: string } } }[] } };
        errors?: unknown;
      };
      assert.ok(body.data, JSON.stringify(body.errors));
      const nodes = body.data.photos.edges.map((edge) => edge.node);
      assert.deepEqual(
        nodes.map((node) => node.status),
        ['READY', 'READY'],
      );
      for (const node of nodes) {
        const image = await fetch(new URL(node.thumb.url, server.url), { headers: { authorization: `Bearer ${token}` } });
        assert.equal(image.status, 200);
        assert.match(image.headers.get('content-type') ?? '', /^image\//);
      }
    } finally {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });

  it('is used only while it matches the sources: an edit, a new file or a rename makes it stale until rebuilt', async () => {
    const copy = await makeTempDir('lightbox-dist-sources-');
    const sources = { srcDir: path.join(copy, 'src'), distDir: path.join(copy, 'dist') };
    await cp(path.join(REPO_ROOT, 'src'), sources.srcDir, { recursive: true });
    assert.equal(distIsFresh(sources), false, 'never built');
    await buildDist(sources);
    assert.equal(distIsFresh(sources), true, 'just built');

    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(sources.srcDir, 'main.ts'), later, later);
    assert.equal(distIsFresh(sources), false, 'a source edited since');
    await buildDist(sources);
    assert.equal(distIsFresh(sources), true);

    await writeFile(path.join(sources.srcDir, 'cli', 'new-command.ts'), 'export const added = 1;\n');
    assert.equal(distIsFresh(sources), false, 'a new source');
    await buildDist(sources);
    await rename(path.join(sources.srcDir, 'cli', 'new-command.ts'), path.join(sources.srcDir, 'cli', 'renamed-command.ts'));
    assert.equal(distIsFresh(sources), false, 'a source renamed (its time kept)');
  });
});
