import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { openStore } from '../src/storage/open-store.ts';
import { FIXTURE_PHOTOS, LIGHTBOX_BIN, REPO_ROOT, spawnServer } from './helpers/cli.ts';
import { postInTwoParts } from './helpers/graphql.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { running } from './helpers/processes.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';

describe('server lifecycle', () => {
  it('/healthz reports status, database and version', async () => {
    const server = await startTestServer();
    try {
      const response = await request(`${server.url}/healthz`);
      const body = (await response.body.json()) as {
        status: string;
        version: string;
        database: { status: string; journalMode: string };
        queue: Record<string, number>;
      };
      assert.equal(response.statusCode, 200);
      assert.equal(body.status, 'ok');
      assert.equal(body.database.status, 'ok');
      assert.equal(body.database.journalMode, 'wal');
      assert.match(body.version, /^\d+\.\d+\.\d+/);
      assert.deepEqual(body.queue, { queued: 0, running: 0, failed: 0, workersInProcess: 0 }, 'no warning: nothing waits');
    } finally {
      await server.close();
    }
  });

  it('/healthz warns when photos wait and nothing processes them (LIGHTBOX_WORKERS=0, no worker)', async () => {
    const server = await startTestServer({ LIGHTBOX_WORKERS: '0' });
    try {
      await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
      const fresh = (await (await request(`${server.url}/healthz`)).body.json()) as { queue: { queued: number; warning?: string } };
      assert.equal(fresh.queue.queued, 3);
      assert.equal(fresh.queue.warning, undefined, 'just queued: not yet a problem');
      // The same jobs, as if they had waited two minutes.
      const { database } = await openStore({ dataDir: server.dataDir }, { create: true });
      try {
        database.sqlite.prepare('UPDATE jobs SET created_at = created_at - 120000').run();
      } finally {
        database.close();
      }
      const stale = (await (await request(`${server.url}/healthz`)).body.json()) as { queue: { warning?: string } };
      assert.match(stale.queue.warning ?? '', /nothing is processing them: LIGHTBOX_WORKERS=0 here, so run `lightbox worker`/);
    } finally {
      await server.close();
    }
  });

  it('answers / with the gallery (empty at first, saying so) and 404s unknown paths', async () => {
    const server = await startTestServer();
    try {
      const root = await request(`${server.url}/`);
      assert.equal(root.statusCode, 200);
      assert.match(String(root.headers['content-type']), /^text\/html/);
      assert.match(await root.body.text(), /No public albums yet/);
      const unknown = await request(`${server.url}/nope`);
      await unknown.body.dump();
      assert.equal(unknown.statusCode, 404);
    } finally {
      await server.close();
    }
  });

  it('SIGTERM: finishes, checkpoints the WAL, exits 0', async () => {
    const dataDir = await makeTempDir();
    const { child, url, exited } = await spawnServer(dataDir);
    const health = await request(`${url}/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const wal = await stat(path.join(dataDir, 'lightbox.db-wal')).catch(() => undefined);
    assert.ok(wal === undefined || wal.size === 0, 'the WAL was checkpointed into the database');
  });

  for (const processes of ['1', '2']) {
    it(`SIGTERM while starting (LIGHTBOX_PROCESSES=${processes}): the server stops once started, exit 0, its lock released`, async () => {
      const dataDir = await makeTempDir();
      const child = spawn(process.execPath, [LIGHTBOX_BIN, 'serve'], {
        cwd: REPO_ROOT,
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LIGHTBOX_DATA_DIR: dataDir, LOG_LEVEL: 'info', LIGHTBOX_PROCESSES: processes },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.resume();
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      // The lock is the start's first step: from then on, the default action would leave it behind.
      const lock = path.join(dataDir, 'serve.lock');
      while ((await stat(lock).catch(() => undefined)) === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.doesNotMatch(stdout, /lightbox is listening/, 'still starting');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null], stdout);
      assert.match(stdout, /asked to stop while starting/);
      assert.match(stdout, /shut down cleanly/);
      assert.doesNotMatch(stdout, /lightbox is listening/);
      assert.equal(await stat(lock).catch(() => undefined), undefined, 'the lock went with it');
    });
  }

  it('`npm start` stopped with SIGTERM stops the server too (npm does not pass the signal on)', { timeout: 60_000 }, async (t) => {
    const dataDir = await makeTempDir();
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LIGHTBOX_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let log = '';
    const listening = new Promise<void>((resolve) => {
      npm.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        log += chunk;
        if (log.includes('lightbox is listening')) resolve();
      });
    });
    // The server process shares npm's stdout: the pipe ends only once the server has exited as well.
    const closed = once(npm.stdout, 'close');
    await listening;
    // The server's lock holds its pid.
    const serverPid = Number.parseInt(await readFile(path.join(dataDir, 'serve.lock'), 'utf8'), 10);
    // Should this fail, no server is left running after the test.
    t.after(() => {
      try {
        process.kill(serverPid, 'SIGKILL');
      } catch {}
    });
    assert.notEqual(serverPid, npm.pid, 'npm runs the server as a process of its own');
    npm.kill('SIGTERM');
    await closed;
    assert.match(log, /"msg":"shut down cleanly"/, 'the server shut down as on its own SIGTERM');
    // Gone, or exited and waiting to be reaped (a container's init may be slow to).
    assert.ok(!running(serverPid), 'the server process has exited');
  });

  it('SIGTERM lets an in-flight request finish', async () => {
    const dataDir = await makeTempDir();
    const { child, url, exited, logged } = await spawnServer(dataDir);
    // A slow client: the request is in flight until we finish sending the body.
    const { Client } = await import('undici');
    const client = new Client(url);
    const slow = postInTwoParts(client, '{ photos(first: 1) { totalCount } }');
    await logged('graphql request body arriving');
    child.kill('SIGTERM');
    await logged('shutting down');
    slow.finish();
    const response = await slow.response;
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), { data: { photos: { totalCount: 0 } } });
    await client.close();
    assert.equal(await exited, 0);
  });
});
