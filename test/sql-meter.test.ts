import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL, sqlStatements } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const AlbumTitles = graphql(`
  query AlbumTitles {
    albums(first: 5) { nodes { id title photos(first: 3) { nodes { id } } } }
  }
`);

const RetitleAlbum = graphql(`
  mutation RetitleAlbum($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) { __typename ... on AlbumPayload { album { id title } } }
  }
`);

describe('each GraphQL request counts its own SQL (Server-Timing sql)', () => {
  let server: TestServer;
  let albumId: string;

  before(async () => {
    // Rows are not remembered here, so every read of a query is a statement.
    server = await startTestServer({ LIGHTBOX_READ_CACHE: 'false' });
    await buildLibrary(server.dataDir, {
      albums: { Open: 'PUBLIC' },
      photos: { a: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] } },
    });
    const listed = dataOf(await postGraphQL(server.url, AlbumTitles, {}, server.admin));
    albumId = listed.albums.nodes[0]?.id as string;
    assert.ok(albumId);
  });

  after(() => server.close());

  it('a mutation counts the statements it runs, after its awaits too; a query counts its reads', async () => {
    const query = await postGraphQL(server.url, AlbumTitles, {}, server.admin);
    assert.equal(sqlStatements(query.headers), 2, 'one statement for the albums, one for every album’s photos');
    const mutation = await postGraphQL(server.url, RetitleAlbum, { input: { id: albumId, title: 'Counted' } }, server.admin);
    const result = dataOf(mutation).updateAlbum;
    assert.equal(result.__typename === 'AlbumPayload' ? result.album.title : result.__typename, 'Counted');
    assert.ok(sqlStatements(mutation.headers) >= 2, `the write and the re-read: ${sqlStatements(mutation.headers)}`);
  });

  it('requests in flight together each count only their own', async () => {
    const alone = sqlStatements((await postGraphQL(server.url, AlbumTitles, {}, server.admin)).headers);
    const together = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        index % 3 === 0
          ? postGraphQL(server.url, RetitleAlbum, { input: { id: albumId, title: `Together ${index}` } }, server.admin)
          : postGraphQL(server.url, AlbumTitles, {}, server.admin),
      ),
    );
    const mutations = together.filter((_, index) => index % 3 === 0).map((response) => sqlStatements(response.headers));
    const queries = together.filter((_, index) => index % 3 !== 0).map((response) => sqlStatements(response.headers));
    assert.deepEqual(
      queries,
      queries.map(() => alone),
      'every query counted what it ran alone',
    );
    assert.deepEqual(
      mutations,
      mutations.map(() => mutations[0]),
      'every mutation counted the same',
    );
    // And after the mutations, queries are counted as before.
    assert.equal(sqlStatements((await postGraphQL(server.url, AlbumTitles, {}, server.admin)).headers), alone);
  });
});
