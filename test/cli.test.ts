import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { FIXTURE_PHOTOS, runCli, spawnServer } from './helpers/cli.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';

/** Every failure: exit code ≠ 0, exactly one line on stderr starting with "lightbox: ", no stack trace anywhere. */
function assertOneLineFailure(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp, what: string): void {
  assert.notEqual(result.code, 0, what);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: ${result.stderr}`);
  assert.match(lines[0] ?? '', /^lightbox: /, what);
  assert.match(lines[0] ?? '', pattern, what);
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at \S+|Error: |node:internal/, `${what}: no stack trace`);
}

describe('the command line', () => {
  it('has help for every command, with examples, and refuses what it does not know in one line', async () => {
    const global = await runCli(['--help'], {});
    assert.equal(global.code, 0);
    for (const command of ['serve', 'import', 'album', 'worker', 'migrate', 'backup'])
      assert.match(global.stdout, new RegExp(`\\n  ${command} `));

    for (const command of ['serve', 'import', 'album', 'worker', 'migrate', 'backup']) {
      for (const args of command === 'import'
        ? [
            [command, '--help'],
            ['help', command],
          ]
        : [[command, '-h']]) {
        const help = await runCli(args, {});
        assert.equal(help.code, 0, args.join(' '));
        assert.match(help.stdout, new RegExp(`^Usage: lightbox ${command}`), args.join(' '));
        assert.match(help.stdout, /\nExamples:\n {2}\S/, args.join(' '));
      }
    }
    const dataDir = await makeTempDir();
    const env = { LIGHTBOX_DATA_DIR: dataDir, PORT: '0' };
    assertOneLineFailure(await runCli(['serve', 'extra'], env), /unexpected: extra.*lightbox serve --help/, 'serve extra');
    assertOneLineFailure(await runCli(['import', FIXTURE_PHOTOS, '--nope'], env), /unknown option --nope for import/, 'unknown option');
    assertOneLineFailure(await runCli(['serve', '--public'], env), /unknown option --public for serve/, 'an option of another command');
    assertOneLineFailure(await runCli(['imprt', 'x'], env), /unknown command "imprt"; the commands are serve, import/, 'unknown command');
    assertOneLineFailure(await runCli(['import', FIXTURE_PHOTOS, '--concurrency', '0'], env), /--concurrency must be/, 'bad value');
    assertOneLineFailure(await runCli(['import'], env), /usage: lightbox import <folder>/, 'missing argument');
  });

  it('makes a library only when asked: serve or --init; a mistyped data dir, a file, or a failed start makes none', async () => {
    const parent = await makeTempDir();
    const missing = path.join(parent, 'Photso');
    const aFile = path.join(parent, 'notes.txt');
    await writeFile(aFile, 'not a folder\n');
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const busyPort = String((held.address() as { port: number }).port);
    try {
      const refusals: { args: string[]; dataDir: string; says: RegExp }[] = [
        {
          args: ['album', 'list'],
          dataDir: missing,
          says: /no Lightbox library in .*Photso: set LIGHTBOX_DATA_DIR to the folder your library is in/,
        },
        {
          args: ['import', path.join(FIXTURE_PHOTOS, 'gps')],
          dataDir: missing,
          says: /no Lightbox library in .*pass --init to make a new library there/,
        },
        { args: ['share', '--list'], dataDir: missing, says: /no Lightbox library/ },
        { args: ['worker'], dataDir: missing, says: /no Lightbox library/ },
        { args: ['migrate'], dataDir: missing, says: /no Lightbox library.*--init/ },
        { args: ['album', 'list'], dataDir: aFile, says: /notes\.txt is a file, not a folder/ },
        { args: ['serve'], dataDir: aFile, says: /notes\.txt is a file, not a folder/ },
      ];
      for (const { args, dataDir, says } of refusals) {
        assertOneLineFailure(await runCli(args, { LIGHTBOX_DATA_DIR: dataDir }), says, args.join(' '));
      }
      // A server that cannot listen takes back the library it had just made.
      const busy = await runCli(['serve'], { LIGHTBOX_DATA_DIR: missing, PORT: busyPort, HOST: '127.0.0.1' });
      assertOneLineFailure(busy, /already in use/, 'serve on a busy port');
      assert.equal(existsSync(missing), false, 'nothing was made at the mistyped path');

      const imported = await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--init'], { LIGHTBOX_DATA_DIR: missing });
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(
        imported.stdout.split('\n')[0] as string,
        /^Importing into a new, empty library made \(--init\) in .*Photso; no server is running on it/,
      );
      const again = await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps')], { LIGHTBOX_DATA_DIR: missing });
      assert.match(again.stdout.split('\n')[0] as string, /^Importing into the library in .*Photso; no server is running on it/);
      const server = await startTestServer();
      try {
        const beside = await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps')], { LIGHTBOX_DATA_DIR: server.dataDir });
        assert.match(
          beside.stdout.split('\n')[0] as string,
          new RegExp(`its server is running \\(pid ${process.pid}\\) and processes them`),
        );
      } finally {
        await server.close();
      }
    } finally {
      held.close();
    }
  });

  it('every bad setting or argument is one line naming what to fix, never a stack trace', async () => {
    const dataDir = await makeTempDir();
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const busyPort = String((held.address() as { port: number }).port);
    assert.equal((await runCli(['migrate', '--init'], { LIGHTBOX_DATA_DIR: dataDir })).code, 0);
    try {
      const cases: { args: string[]; env: Record<string, string>; says: RegExp }[] = [
        { args: ['serve'], env: { PORT: 'abc' }, says: /configuration error: PORT/ },
        { args: ['serve'], env: { PORT: '0', HOST: '999.1.1.1' }, says: /HOST: "999\.1\.1\.1" is not an IPv4 address/ },
        { args: ['serve'], env: { PORT: '0', HOST: 'bad host!' }, says: /HOST: .* neither an IP address nor a host name/ },
        { args: ['serve'], env: { PORT: busyPort, HOST: '127.0.0.1' }, says: new RegExp(`PORT ${busyPort} is already in use .*set PORT`) },
        { args: ['serve'], env: { LIGHTBOX_WORKERS: '-1' }, says: /LIGHTBOX_WORKERS/ },
        { args: ['serve'], env: { LOG_LEVEL: 'loud' }, says: /LOG_LEVEL/ },
        { args: ['backup', '/missing/dir/b.db'], env: {}, says: /the folder \/missing\/dir does not exist; create it first/ },
        { args: ['import', '/no/such/folder'], env: {}, says: /\/no\/such\/folder does not exist/ },
        {
          args: ['album', 'publish', 'Nothing by that name'],
          env: {},
          says: /no album is titled or has the id "Nothing by that name" \(see `lightbox album list`\)$/,
        },
        { args: ['share', 'Trip', '--expires', '2020-01-01'], env: {}, says: /--expires 2020-01-01 has already passed: give a later date/ },
        { args: ['album', 'shuffle'], env: {}, says: /album needs list, publish or unpublish/ },
      ];
      for (const { args, env, says } of cases) {
        const result = await runCli(args, { LIGHTBOX_DATA_DIR: dataDir, PORT: '0', ...env });
        assertOneLineFailure(result, says, `${args.join(' ')} ${JSON.stringify(env)}`);
      }
    } finally {
      held.close();
    }
  });

  it('one server per data dir: a second says which process holds it; a dead holder is taken over', async () => {
    const dataDir = await makeTempDir();
    const first = await spawnServer(dataDir, { LOG_LEVEL: 'info' });
    try {
      const second = await runCli(['serve'], { LIGHTBOX_DATA_DIR: dataDir, PORT: '0' }, 30_000);
      assertOneLineFailure(second, new RegExp(`already served by another Lightbox \\(pid ${first.child.pid}\\)`), 'second server');
      const health = await request(`${first.url}/healthz`);
      assert.equal(health.statusCode, 200, 'the first one is untouched');
      await health.body.dump();
      // Piped: stdout is JSON lines only, for a log shipper; the banner went to stderr.
      const { stdout, stderr } = first.output();
      const lines = stdout.split('\n').filter((text) => text !== '');
      assert.ok(
        lines.some((line) => line.includes('lightbox is listening')),
        stdout,
      );
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
      assert.match(stderr, /^Lightbox is running: GraphiQL at http/);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // Killed without a chance to clean up: its lock names a process that is gone.
    const again = await spawnServer(dataDir, { LOG_LEVEL: 'warn' });
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('import --public publishes an album that exists; `album` lists, publishes and unpublishes; printed ids work in GraphQL', async () => {
    const server = await startTestServer();
    try {
      const env = { LIGHTBOX_DATA_DIR: server.dataDir };
      const source = path.join(FIXTURE_PHOTOS, 'gps');
      const first = await runCli(['import', source], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /lightbox album publish <title>/);
      const printedId = /imported as (\S+)/.exec(first.stdout)?.[1] ?? '';

      const albumsQuery = { query: '{ albums { nodes { title visibility } } }' };
      const anonymous = async () => {
        const response = await request(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(albumsQuery),
        });
        return ((await response.body.json()) as { data: { albums: { nodes: { title: string }[] } } }).data.albums.nodes;
      };
      assert.deepEqual(await anonymous(), []);

      const again = await runCli(['import', source, '--public'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Published album "gps" \(it was private\)/);
      assert.match(again.stdout, /already imported as \S+ \(image: \/images\/[\w-]{22}\/original\)/);
      assert.deepEqual(
        (await anonymous()).map((album) => album.title),
        ['gps'],
      );

      const listed = await runCli(['album', 'list'], env);
      assert.match(listed.stdout, /^PUBLIC {3}gps \(3 photos\) {2}id (\S+)$/m);
      const albumId = /id (\S+)$/m.exec(listed.stdout)?.[1] ?? '';
      const unpublished = await runCli(['album', 'unpublish', albumId], env);
      assert.equal(unpublished.code, 0, unpublished.stderr);
      assert.match(unpublished.stdout, /Unpublished album "gps"/);
      assert.deepEqual(await anonymous(), []);
      const published = await runCli(['album', 'publish', 'gps'], env);
      assert.match(published.stdout, /Published album "gps"/);
      assert.equal((await runCli(['album', 'publish', 'gps'], env)).stdout.trim(), 'Album "gps" is already public.');

      // The id the import printed is one GraphQL takes as it is.
      const byId = await request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...server.admin },
        body: JSON.stringify({ query: 'query($id: ID!) { photo(id: $id) { id } }', variables: { id: printedId } }),
      });
      const found = (await byId.body.json()) as { data?: { photo: { id: string } | null } };
      assert.equal(found.data?.photo?.id, printedId);

      // The other form, the public id of an image URL, gets a coded answer saying which form is expected.
      const bare = /\(image: \/images\/([\w-]{22})\/original\)/.exec(again.stdout)?.[1] ?? '';
      for (const [id, says] of [
        [bare, /is not a global id: pass an id as GraphQL returns it/],
        [albumId, /is the id of another type; expected a Photo id/],
      ] as const) {
        const wrong = await request(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...server.admin },
          body: JSON.stringify({ query: 'query($id: ID!) { photo(id: $id) { id } }', variables: { id } }),
        });
        const answer = (await wrong.body.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
        assert.equal(answer.errors?.[0]?.extensions?.code, 'INVALID_ID', JSON.stringify(answer));
        assert.match(answer.errors?.[0]?.message ?? '', says);
      }
    } finally {
      await server.close();
    }
  });
});
