import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, fromResponseCache, postGraphQL, sqlStatements } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const PhotoPlaces = graphql(`
  query PhotoPlaces {
    photos(first: 10, orderBy: TITLE_ASC) { nodes { title camera { make } location { latitude } } }
  }
`);

const LibraryTitles = graphql(`
  query LibraryTitles($first: Int!) {
    photos(first: $first, orderBy: TITLE_ASC) {
      totalCount
      nodes { id title camera { make } albums { title } }
    }
    albums(first: 5) { nodes { title photoCount cover { id } } }
  }
`);

function remembered(headers: Record<string, string | string[] | undefined>): number {
  return Number(/remembered;desc="(\d+)"/.exec(String(headers['server-timing'] ?? ''))?.[1] ?? 0);
}

async function libraryServer(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer(env);
  await buildLibrary(server.dataDir, {
    albums: { Open: 'PUBLIC', Closed: 'PRIVATE' },
    photos: {
      a: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] },
      b: { file: path.join(FIXTURE_PHOTOS, 'cameras', 'canon-ixus.jpg'), albums: ['Closed'] },
    },
  });
  return server;
}

describe('rows GraphQL read are remembered until the next commit (LIGHTBOX_READ_CACHE)', () => {
  let server: TestServer;

  before(async () => {
    server = await libraryServer();
  });

  after(() => server.close());

  it('a query the response cache never answers (the admin) reads its rows from memory the second time', async () => {
    const first = await postGraphQL(server.url, LibraryTitles, { first: 10 }, server.admin);
    const second = await postGraphQL(server.url, LibraryTitles, { first: 10 }, server.admin);
    assert.ok(!fromResponseCache(first.headers) && !fromResponseCache(second.headers));
    assert.ok(sqlStatements(first.headers) > 0);
    assert.equal(sqlStatements(second.headers), 0, 'no SQL the second time');
    // Every read is answered from memory; a record's details, once read, need not even be asked for again.
    assert.ok(remembered(second.headers) > 0, 'reads answered from memory');
    assert.ok(remembered(second.headers) <= sqlStatements(first.headers) + remembered(first.headers), 'no read the first did not make');
    assert.deepEqual(second.body, first.body);
    // What anonymous callers read is another read (other rules in its text), never the admin's rows.
    const anonymous = dataOf(await postGraphQL(server.url, LibraryTitles, { first: 10 }));
    assert.deepEqual(
      anonymous.photos.nodes.map((photo) => photo.albums.map((album) => album.title)),
      [['Open']],
    );
  });

  it("details remembered with a record are each viewer's own: the admin's location never reaches anyone else", async () => {
    const places = async (headers?: Record<string, string>) =>
      dataOf(await postGraphQL(server.url, PhotoPlaces, {}, headers)).photos.nodes.map((photo) => ({
        camera: photo.camera?.make ?? null,
        located: photo.location !== null,
      }));
    // Interleaved and repeated, so later answers come from what earlier ones remembered.
    for (let round = 0; round < 3; round++) {
      const admin = await places(server.admin);
      const anonymous = await places();
      assert.ok(
        admin.some((photo) => photo.located),
        `round ${round}: the admin sees where the GPS photo was taken`,
      );
      assert.ok(anonymous.length > 0 && anonymous.every((photo) => !photo.located), `round ${round}: anonymous callers never do`);
      assert.ok(
        anonymous.some((photo) => photo.camera !== null),
        `round ${round}: but see its camera`,
      );
    }
  });

  it('a commit by another process ends what was remembered, at the next read', async () => {
    const before = dataOf(await postGraphQL(server.url, LibraryTitles, { first: 10 }, server.admin));
    const db = new Database(path.join(server.dataDir, 'lightbox.db'));
    try {
      db.prepare(
        "UPDATE photos SET title = 'Renamed elsewhere' WHERE public_id = (SELECT public_id FROM photos ORDER BY id LIMIT 1)",
      ).run();
    } finally {
      db.close();
    }
    const afterWrite = await postGraphQL(server.url, LibraryTitles, { first: 10 }, server.admin);
    assert.ok(sqlStatements(afterWrite.headers) > 0, 'read again');
    const titles = dataOf(afterWrite).photos.nodes.map((photo) => photo.title);
    assert.ok(titles.includes('Renamed elsewhere'), JSON.stringify(titles));
    assert.notDeepEqual(
      titles,
      before.photos.nodes.map((photo) => photo.title),
    );
  });

  it('LIGHTBOX_READ_CACHE=false reads every row from SQLite, every time', async () => {
    const cold = await libraryServer({ LIGHTBOX_READ_CACHE: 'false' });
    try {
      const first = await postGraphQL(cold.url, LibraryTitles, { first: 10 }, cold.admin);
      const second = await postGraphQL(cold.url, LibraryTitles, { first: 10 }, cold.admin);
      assert.equal(sqlStatements(second.headers), sqlStatements(first.headers));
      assert.equal(remembered(second.headers), 0);
      assert.deepEqual(second.body, first.body);
    } finally {
      await cold.close();
    }
  });
});
