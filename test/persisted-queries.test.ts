import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { sqlStatements } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const QUERY = 'query PersistedGallery { albums(first: 5) { nodes { title photoCount } } }';
const HASH = createHash('sha256').update(QUERY).digest('hex');
const EXTENSIONS = { persistedQuery: { version: 1, sha256Hash: HASH } };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { data?: { albums?: { nodes: { title: string }[] } }; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
}

async function post(server: TestServer, payload: Record<string, unknown>): Promise<Answer> {
  const response = await request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(payload),
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Answer['body'] };
}

async function get(server: TestServer, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${server.url}/graphql?${new URLSearchParams(params)}`, {
    headers: { accept: 'application/json', ...headers },
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

describe("automatic persisted queries (Apollo's protocol)", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    await buildLibrary(server.dataDir, {
      albums: { Open: 'PUBLIC' },
      photos: { one: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] } },
    });
  });
  after(() => server.close());

  it('an unknown hash asks for the document (PersistedQueryNotFound), over POST and GET alike', async () => {
    for (const answer of [await post(server, { extensions: EXTENSIONS }), await get(server, { extensions: JSON.stringify(EXTENSIONS) })]) {
      assert.equal(answer.status, 200);
      assert.equal(answer.body?.errors?.[0]?.message, 'PersistedQueryNotFound');
      assert.equal(answer.body?.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
      assert.equal(answer.body?.data, undefined);
    }
  });

  it('the document sent once with its hash is run and kept; then the hash alone works, GET included, cached with ETag and 304', async () => {
    const registered = await post(server, { query: QUERY, extensions: EXTENSIONS });
    assert.deepEqual(
      registered.body?.data?.albums?.nodes.map((album) => album.title),
      ['Open'],
    );
    const byHash = await post(server, { extensions: EXTENSIONS });
    assert.deepEqual(byHash.body, registered.body);
    const first = await get(server, { extensions: JSON.stringify(EXTENSIONS) });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, registered.body);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"/);
    const again = await get(server, { extensions: JSON.stringify(EXTENSIONS) });
    assert.equal(sqlStatements(again.headers), 0, 'the hash-only GET is answered from the response cache');
    const revalidated = await get(server, { extensions: JSON.stringify(EXTENSIONS) }, { 'if-none-match': etag });
    assert.equal(revalidated.status, 304);
  });

  it('a hash that is not the SHA-256 of the document sent with it, or another version, is refused', async () => {
    const mismatch = await post(server, { query: `${QUERY} `, extensions: EXTENSIONS });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body?.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_MISMATCH');
    const other = await post(server, { query: QUERY, extensions: { persistedQuery: { version: 2, sha256Hash: HASH } } });
    assert.equal(other.status, 400);
    assert.equal(other.body?.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_SUPPORTED');
  });
});
