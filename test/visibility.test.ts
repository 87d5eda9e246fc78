import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { imageSignature } from '../src/images/url-signing.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { dataOf, postGraphQL, sqlStatements } from './helpers/graphql.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const LibraryQuery = graphql(`
  query Library {
    albums(first: 50) {
      totalCount
      nodes {
        id
        title
        visibility
      }
    }
    photos(first: 100) {
      totalCount
      nodes {
        id
        title
        image {
          url
        }
        albums {
          title
        }
      }
    }
  }
`);

const NodesQuery = graphql(`
  query NodesLookup($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

const SingleNodeQuery = graphql(`
  query SingleNode($id: ID!) {
    node(id: $id) {
      id
    }
  }
`);

describe('visibility: anonymous callers see public albums and their photos only', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    const env = { LIGHTBOX_DATA_DIR: server.dataDir };
    assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--public'], env)).code, 0);
    assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'cameras')], env)).code, 0);
    // DSCN0010 also lands in a private album: still public through the gps album.
    assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--album', 'Hidden'], env)).code, 0);
  });

  after(() => server.close());

  async function library(headers: Record<string, string> = {}) {
    return dataOf(await postGraphQL(server.url, LibraryQuery, {}, headers));
  }

  it('lists only public albums and photos in them', async () => {
    const anonymous = await library();
    assert.deepEqual(
      anonymous.albums.nodes.map((album) => album.title),
      ['gps'],
    );
    assert.equal(anonymous.albums.totalCount, 1);
    assert.equal(anonymous.photos.totalCount, 3);
    assert.deepEqual(anonymous.photos.nodes.map((photo) => photo.title).sort(), ['DSCN0010', 'DSCN0021', 'DSCN0040']);
    for (const photo of anonymous.photos.nodes) assert.deepEqual(photo.albums, [{ title: 'gps' }], 'private albums stay hidden');

    const admin = await library(server.admin);
    assert.equal(admin.albums.totalCount, 3);
    assert.equal(admin.photos.totalCount, 9);
  });

  it('node and nodes do not reveal private albums or photos', async () => {
    const admin = await library(server.admin);
    const privateAlbum = admin.albums.nodes.find((album) => album.title === 'cameras');
    const privatePhoto = admin.photos.nodes.find((photo) => photo.title === 'canon-ixus');
    const publicPhoto = admin.photos.nodes.find((photo) => photo.title === 'DSCN0021');
    assert.ok(privateAlbum && privatePhoto && publicPhoto);

    for (const id of [privateAlbum.id, privatePhoto.id]) {
      assert.equal(dataOf(await postGraphQL(server.url, SingleNodeQuery, { id })).node, null);
      assert.equal(dataOf(await postGraphQL(server.url, SingleNodeQuery, { id }, server.admin)).node?.id, id);
    }
    const mixed = dataOf(await postGraphQL(server.url, NodesQuery, { ids: [privatePhoto.id, publicPhoto.id, privateAlbum.id] }));
    assert.deepEqual(mixed.nodes, [null, { id: publicPhoto.id }, null]);
  });

  it('anonymous node lookups check visibility in one batched statement however many there are', async () => {
    const admin = await library(server.admin);
    const publicIds = admin.photos.nodes.filter((photo) => photo.title.startsWith('DSCN')).map((photo) => photo.id);
    const count = async (ids: string[]) => {
      const query = `{ ${ids.map((id, index) => `n${index}: node(id: "${id}") { id }`).join(' ')} }`;
      const response = await request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.body.json()) as { data: Record<string, { id: string } | null> };
      assert.equal(Object.values(body.data).filter((node) => node !== null).length, ids.length);
      return sqlStatements(response.headers);
    };
    assert.equal(await count(publicIds.slice(0, 1)), await count(publicIds));
  });

  it('public photos get plain versioned URLs, cached immutably', async () => {
    const anonymous = await library();
    const url = anonymous.photos.nodes[0]?.image.url;
    assert.ok(url);
    assert.match(url, /\?v=1\.[0-9a-f]{12}$/);
    const response = await request(`${server.url}${url}`);
    await response.body.dump();
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('private photos load only with a valid, unexpired signature; otherwise 404 like an unknown photo', async () => {
    const admin = await library(server.admin);
    const signedUrl = admin.photos.nodes.find((photo) => photo.title === 'canon-ixus')?.image.url;
    assert.ok(signedUrl);
    const parsed = new URL(signedUrl, server.url);
    const pathname = parsed.pathname;

    const signed = await request(`${server.url}${signedUrl}`);
    await signed.body.dump();
    assert.equal(signed.statusCode, 200);
    const maxAge = Number(/max-age=(\d+)/.exec(String(signed.headers['cache-control']))?.[1]);
    const expiresAt = Number(parsed.searchParams.get('exp'));
    assert.ok(maxAge > 0 && maxAge <= expiresAt - Math.floor(Date.now() / 1000) + 1, 'max-age stays within the validity');

    const secret = (await readFile(path.join(server.dataDir, 'secret'), 'utf8')).trim();
    const past = Math.floor(Date.now() / 1000) - 10;
    // A genuine signature over an expiry further off than the configured TTL allows: never one we issued.
    const farFuture = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
    const urlKey = String(parsed.searchParams.get('v')).split('.')[1] ?? '';
    const sign = (expiresAt: number) => imageSignature(secret, { pathname, expiresAt, urlKey, grant: 'view' });
    const unknown = await request(`${server.url}/images/AAAAAAAAAAAAAAAAAAAAAA/original.jpg`);
    const unknownBody = await unknown.body.text();
    for (const attempt of [
      pathname,
      `${pathname}?v=1`,
      `${pathname}?v=1&exp=${expiresAt}&sig=${'A'.repeat(43)}`,
      `${pathname}?v=1&exp=${expiresAt + 900}&sig=${parsed.searchParams.get('sig')}`,
      `${pathname}?v=1.${urlKey}&exp=${past}&sig=${sign(past)}`,
      `${pathname}?v=1.${urlKey}&exp=${farFuture}&sig=${sign(farFuture)}`,
    ]) {
      const response = await request(`${server.url}${attempt}`);
      assert.equal(response.statusCode, 404, attempt);
      assert.equal(await response.body.text(), unknownBody);
    }
  });

  it('a wrong or malformed token is an authentication error, never a downgrade to anonymous', async () => {
    for (const authorization of ['Bearer not-the-token', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const response = await postGraphQL(server.url, LibraryQuery, {}, { authorization });
      assert.equal(response.status, 401, authorization);
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      assert.equal(response.body.data ?? null, null);
    }
  });
});

describe('first run: an admin token is generated once and kept', () => {
  it('writes it with mode 0600 and reuses it on the next start', async () => {
    // A data dir that does not exist yet, two levels down: Lightbox creates it.
    const first = await startTestServer({ LIGHTBOX_ADMIN_TOKEN: '', LIGHTBOX_DATA_DIR: path.join(await makeTempDir(), 'new', 'data') });
    const dataDir = first.dataDir;
    const tokenFile = path.join(first.dataDir, 'admin-token');
    try {
      assert.equal(first.app.adminToken.created, true);
      assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
      assert.equal((await stat(path.join(dataDir, 'lightbox.db'))).mode & 0o777, 0o600, 'the database is private');
      for (const dir of ['', 'originals', 'derived', 'tmp']) {
        assert.equal((await stat(path.join(dataDir, dir))).mode & 0o777, 0o700, `${dir || 'the data dir'} is private`);
      }
      const token = (await readFile(tokenFile, 'utf8')).trim();
      assert.equal(token, first.app.adminToken.value);
      const response = await postGraphQL(first.url, LibraryQuery, {}, { authorization: `Bearer ${token}` });
      assert.equal(response.status, 200);
      await first.app.close();
      const { startLightbox } = await import('../src/app.ts');
      const { loadConfig } = await import('../src/config.ts');
      const { createLogger } = await import('../src/log.ts');
      const again = await startLightbox(
        loadConfig({ LIGHTBOX_DATA_DIR: first.dataDir, PORT: '0', HOST: '127.0.0.1' }),
        createLogger('silent'),
      );
      assert.equal(again.adminToken.created, false);
      assert.equal(again.adminToken.value, token);
      await again.close();
    } finally {
      await first.close();
    }
  });
});
