import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const CursorsQuery = graphql(`
  query Cursors($first: Int, $after: String, $last: Int, $before: String, $inAlbum: String) {
    photos(first: $first, after: $after, last: $last, before: $before, orderBy: TAKEN_AT_DESC) {
      pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
      edges { cursor node { id } }
    }
    albums(first: 5) {
      pageInfo { startCursor endCursor }
      edges {
        cursor
        node {
          title
          photos(first: 2, after: $inAlbum) {
            pageInfo { endCursor hasNextPage }
            edges { cursor node { id } }
          }
        }
      }
    }
  }
`);

const PHOTO_NAMES = ['one', 'two', 'three', 'four', 'five'];

function everyCursor(data: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (typeof value === 'string' && /^(cursor|startCursor|endCursor)$/.test(key)) found.push(value);
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(data, '');
  return found;
}

describe('page cursors are opaque and cannot be forged', () => {
  let server: TestServer;
  let secretValues: string[];

  before(async () => {
    server = await startTestServer();
    const files = ['gps/DSCN0010.jpg', 'gps/DSCN0021.jpg', 'gps/DSCN0040.jpg', 'cameras/canon-ixus.jpg', 'cameras/nikon-e950.jpg'];
    await buildLibrary(server.dataDir, {
      albums: { Public: 'PUBLIC', Private: 'PRIVATE' },
      photos: Object.fromEntries(
        PHOTO_NAMES.map((name, index) => [
          name,
          { file: path.join(FIXTURE_PHOTOS, files[index] as string), albums: index === 4 ? ['Private'] : ['Public'] },
        ]),
      ),
    });
    // What the old cursors carried in the clear: row ids, membership positions and millisecond times.
    const db = new Database(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    const photoRows = db.prepare('SELECT id, created_at AS createdAt, taken_at AS takenAt FROM photos').all() as Record<string, number>[];
    const albumRows = db.prepare('SELECT id, created_at AS createdAt FROM albums').all() as Record<string, number>[];
    db.close();
    secretValues = [...photoRows, ...albumRows].flatMap((row) =>
      Object.values(row)
        .filter((value) => value !== null)
        .map(String),
    );
  });
  after(() => server.close());

  it('no cursor an anonymous caller or the admin receives carries a row id or a timestamp, in any encoding', async () => {
    for (const headers of [{}, server.admin]) {
      const data = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 2 }, headers));
      const cursors = everyCursor(data);
      assert.ok(cursors.length >= 6, `${cursors.length} cursors`);
      for (const cursor of cursors) {
        assert.match(cursor, /^[\w-]{40,}$/);
        const decoded = Buffer.from(cursor, 'base64url').toString('latin1');
        // Ciphertext bytes: six digits in a row by chance is a one-in-millions event, a timestamp is thirteen.
        assert.doesNotMatch(decoded, /DC:|\d{6,}/, `${cursor} reads as ${JSON.stringify(decoded)}`);
        for (const text of [cursor, decoded]) {
          for (const value of secretValues.filter((v) => v.length >= 6)) assert.ok(!text.includes(value), value);
        }
      }
    }
  });

  it('the same position always gets the same cursor, so a page stays byte-identical', async () => {
    const first = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 2 }));
    const again = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 2 }));
    assert.deepEqual(everyCursor(again), everyCursor(first));
    assert.equal(new Set(first.photos.edges.map((edge) => edge.cursor)).size, 2);
  });

  it('pages forwards and backwards through top-level and nested connections with the cursors it hands out', async () => {
    const seen: string[] = [];
    let cursor: string | null | undefined;
    for (let page = 0; page < 5; page++) {
      const data = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 2, after: cursor }, server.admin));
      seen.push(...data.photos.edges.map((edge) => edge.node.id));
      if (!data.photos.pageInfo.hasNextPage) break;
      cursor = data.photos.pageInfo.endCursor;
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);

    // The last cursor followed ends the second page: the two before it are the second and third photos.
    const back = dataOf(await postGraphQL(server.url, CursorsQuery, { last: 2, before: cursor }, server.admin));
    assert.deepEqual(
      back.photos.edges.map((edge) => edge.node.id),
      seen.slice(1, 3),
    );

    const firstPage = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 1 }));
    const album = firstPage.albums.edges[0]?.node;
    assert.equal(album?.title, 'Public');
    const inAlbum = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 1, inAlbum: album.photos.pageInfo.endCursor }));
    const next = inAlbum.albums.edges[0]?.node.photos.edges.map((edge) => edge.node.id) ?? [];
    assert.equal(next.length, 2);
    for (const id of next) assert.ok(!album.photos.edges.some((edge) => edge.node.id === id));
  });

  it("a tampered, made-up, old-format, foreign or other list's cursor answers INVALID_CURSOR, never a 500", async () => {
    const data = dataOf(await postGraphQL(server.url, CursorsQuery, { first: 2 }));
    const good = data.photos.pageInfo.endCursor as string;
    const flipped = `${good.slice(0, 20)}${good[20] === 'A' ? 'B' : 'A'}${good.slice(21)}`;
    const other = await startTestServer();
    let foreign: string;
    try {
      await buildLibrary(other.dataDir, {
        albums: { Other: 'PUBLIC' },
        photos: {
          a: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Other'] },
          b: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), albums: ['Other'] },
        },
      });
      foreign = dataOf(await postGraphQL(other.url, CursorsQuery, { first: 1 })).photos.pageInfo.endCursor as string;
    } finally {
      await other.close();
    }
    const oldFormat = Buffer.from('DC:T:[N:1,N:1]').toString('base64');
    for (const bad of [flipped, good.slice(0, -2), 'Zm9yZ2Vk', oldFormat, foreign, '', '!!!']) {
      for (const variables of [{ after: bad }, { before: bad, last: 1 }, { inAlbum: bad }]) {
        const response = await postGraphQL(server.url, CursorsQuery, variables);
        assert.equal(response.status, 200);
        const codes = response.body.errors?.map((error) => error.extensions?.code);
        assert.deepEqual(codes, ['INVALID_CURSOR'], `${JSON.stringify(variables)} → ${JSON.stringify(response.body.errors)}`);
        assert.doesNotMatch(JSON.stringify(response.body), /DC:|\.ts:|at \w+ \(/);
      }
    }
    // Sealed by this very server, but for another list: refused, not read as a position in this one.
    const albumCursor = data.albums.pageInfo.endCursor as string;
    const inAlbumCursor = data.albums.edges[0]?.node.photos.pageInfo.endCursor as string;
    assert.ok(albumCursor && inAlbumCursor);
    for (const variables of [{ after: albumCursor }, { after: inAlbumCursor }, { inAlbum: good }, { inAlbum: albumCursor }]) {
      const response = await postGraphQL(server.url, CursorsQuery, variables);
      const codes = response.body.errors?.map((error) => error.extensions?.code);
      assert.deepEqual(codes, ['INVALID_CURSOR'], `${JSON.stringify(variables)} → ${JSON.stringify(response.body.errors)}`);
    }
  });
});
