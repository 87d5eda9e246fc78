import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { spawnServer } from './helpers/cli.ts';
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
      assert.deepEqual(body.queue, { queued: 0, running: 0, failed: 0 });
    } finally {
      await server.close();
    }
  });

  it('sends / to GraphiQL and 404s unknown paths', async () => {
    const server = await startTestServer();
    try {
      const root = await request(`${server.url}/`);
      await root.body.dump();
      assert.equal(root.statusCode, 302);
      assert.equal(root.headers.location, '/graphql');
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

  it('SIGTERM lets an in-flight request finish', async () => {
    const dataDir = await makeTempDir();
    const { child, url, exited, logged } = await spawnServer(dataDir);
    // A slow client: the request is in flight until we finish sending the body.
    const { Client } = await import('undici');
    const client = new Client(url);
    const body = JSON.stringify({ query: '{ photos(first: 1) { totalCount } }' });
    const { PassThrough } = await import('node:stream');
    const slowBody = new PassThrough();
    const pending = client.request({
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body: slowBody,
    });
    slowBody.write(body.slice(0, 10));
    await logged('graphql request started');
    child.kill('SIGTERM');
    await logged('shutting down');
    slowBody.end(body.slice(10));
    const response = await pending;
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), { data: { photos: { totalCount: 0 } } });
    await client.close();
    assert.equal(await exited, 0);
  });
});
