import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { loadTrustedDocuments } from '../src/graphql/trusted-documents.ts';
import { ALBUMS_PAGE } from '../src/http/web/queries.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

/** What codegen writes beside the typed documents: every document of the tests, by SHA-256. */
const MANIFEST = fileURLToPath(new URL('./generated/persisted-documents.json', import.meta.url));

const TrustedAlbums = graphql(`
  query TrustedAlbums {
    albums(first: 3) {
      totalCount
      nodes { title }
    }
  }
`);

const HASH = (TrustedAlbums as unknown as { __meta__: { hash: string } }).__meta__.hash.replace(/^sha256:/, '');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
}

async function post(server: TestServer, payload: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(payload),
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Answer['body'] };
}

const codes = (answer: Answer) => answer.body.errors?.map((error) => error.extensions?.code);

describe('trusted documents (LIGHTBOX_TRUSTED_DOCUMENTS=only, manifests from codegen)', () => {
  let server: TestServer;
  let manifestText: string;

  before(async () => {
    server = await startTestServer({ LIGHTBOX_TRUSTED_DOCUMENTS: 'only', LIGHTBOX_TRUSTED_DOCUMENTS_FILE: MANIFEST });
    await buildLibrary(server.dataDir, {
      albums: { Open: 'PUBLIC' },
      photos: { a: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] } },
    });
    const manifest = (await import(MANIFEST, { with: { type: 'json' } })).default as Record<string, string>;
    manifestText = manifest[`sha256:${HASH}`] as string;
    assert.ok(manifestText, 'codegen wrote the document into its manifest');
  });

  after(() => server.close());

  it('runs a trusted document by its hash, over POST and GET (cached, with ETag and 304), and by its exact text', async () => {
    const byHash = await post(server, { extensions: persisted(HASH) });
    assert.equal(byHash.status, 200, JSON.stringify(byHash.body));
    assert.deepEqual(byHash.body.data, { albums: { totalCount: 1, nodes: [{ title: 'Open' }] } });

    const url = `${server.url}/graphql?${new URLSearchParams({ extensions: JSON.stringify(persisted(HASH)) })}`;
    const first = await request(url, { headers: { accept: 'application/json' } });
    assert.equal(first.statusCode, 200);
    assert.deepEqual(((await first.body.json()) as Answer['body']).data, byHash.body.data);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"/);
    const revalidated = await request(url, { headers: { accept: 'application/json', 'if-none-match': etag } });
    await revalidated.body.dump();
    assert.equal(revalidated.statusCode, 304);

    const byText = await post(server, { query: manifestText });
    assert.deepEqual(byText.body.data, byHash.body.data);
  });

  it('refuses everything else from anyone but the admin: other documents, new registrations, unknown hashes', async () => {
    const other = '{ photos(first: 1) { totalCount } }';
    const otherHash = createHash('sha256').update(other).digest('hex');
    // The admin runs it first, twice: a document Yoga has accepted (and then executed without Yoga) is still refused to others.
    for (let i = 0; i < 2; i++) assert.equal((await post(server, { query: other, variables: { i } }, server.admin)).status, 200);
    for (const payload of [
      { query: other },
      // The trusted document, written differently, is another document.
      { query: `${manifestText} ` },
      { query: other, extensions: persisted(otherHash) },
      { extensions: persisted(otherHash) },
    ]) {
      const refused = await post(server, payload);
      assert.equal(refused.status, 400, JSON.stringify(payload));
      assert.deepEqual(codes(refused), ['DOCUMENT_NOT_TRUSTED'], JSON.stringify(payload));
      assert.equal(refused.body.data, undefined);
    }
    // Not registered by the attempt either.
    assert.deepEqual(codes(await post(server, { extensions: persisted(otherHash) })), ['DOCUMENT_NOT_TRUSTED']);

    const admin = await post(server, { query: other }, server.admin);
    assert.equal(admin.status, 200);
    assert.deepEqual(admin.body.data, { photos: { totalCount: 1 } });
  });

  it("keeps the gallery working: its pages and the documents its script sends are the server's own", async () => {
    const home = await request(`${server.url}/`);
    assert.equal(home.statusCode, 200);
    assert.match(await home.body.text(), /Open/);
    const nextPage = await post(server, { query: ALBUMS_PAGE, variables: { after: null } });
    assert.equal(nextPage.status, 200, JSON.stringify(nextPage.body));
    assert.equal(nextPage.body.errors, undefined);
  });
});

describe('trusted document manifests', () => {
  it('without "only", a manifest makes its documents known by hash from the start (no registration round trip)', async () => {
    const server = await startTestServer({ LIGHTBOX_TRUSTED_DOCUMENTS_FILE: MANIFEST });
    try {
      const byHash = await post(server, { extensions: persisted(HASH) });
      assert.equal(byHash.status, 200);
      assert.deepEqual(byHash.body.data, { albums: { totalCount: 0, nodes: [] } });
      // Anything else still runs, and automatic persisted queries still register.
      assert.equal((await post(server, { query: '{ photos(first: 1) { totalCount } }' })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('a manifest that cannot be read, or whose hash is not its document’s, stops the start with the variable named', async () => {
    const dir = await makeTempDir();
    const wrong = path.join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ [`sha256:${'0'.repeat(64)}`]: '{ albums { totalCount } }' }));
    const notJson = path.join(dir, 'broken.json');
    await writeFile(notJson, '{ nope');
    for (const file of [wrong, notJson, path.join(dir, 'missing.json')]) {
      assert.throws(() => loadTrustedDocuments([file], []), /LIGHTBOX_TRUSTED_DOCUMENTS_FILE: /, file);
    }
    assert.throws(() => loadConfig({ LIGHTBOX_TRUSTED_DOCUMENTS: 'sometimes' }), /LIGHTBOX_TRUSTED_DOCUMENTS: expected "only" or "off"/);
  });
});
