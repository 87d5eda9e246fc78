import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { dataOf, postGraphQL, sqlReads } from './helpers/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const GalleryQuery = graphql(`
  query Gallery($albums: Int!, $photos: Int!) {
    albums(first: $albums) {
      totalCount
      nodes {
        id
        title
        visibility
        photoCount
        photos(first: $photos) {
          pageInfo {
            hasNextPage
            endCursor
          }
          nodes {
            id
            title
            width
            height
            image(variant: ORIGINAL) {
              url
              width
              height
            }
            thumb: image(variant: THUMB, format: JPG) {
              url
              width
              height
            }
            srcSet(format: AVIF)
          }
        }
      }
    }
  }
`);

const PhotosPageQuery = graphql(`
  query PhotosPage($first: Int, $after: String) {
    photos(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          title
          takenAt
          createdAt
          mimeType
          byteSize
        }
      }
    }
  }
`);

const NodeQuery = graphql(`
  query NodeLookup($id: ID!) {
    node(id: $id) {
      id
      __typename
      ... on Photo {
        title
        width
        height
        albums {
          title
        }
      }
      ... on Album {
        title
      }
    }
  }
`);

describe('GraphQL API over real HTTP, as the admin', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    for (const folder of ['orientation', 'cameras', 'gps']) {
      const result = await runCli(['import', path.join(FIXTURE_PHOTOS, folder)], { LIGHTBOX_DATA_DIR: server.dataDir });
      assert.equal(result.code, 0, result.stdout + result.stderr);
    }
  });

  after(() => server.close());

  it('lists albums named after the imported folders, each with its photos', async () => {
    const data = dataOf(await postGraphQL(server.url, GalleryQuery, { albums: 10, photos: 50 }, server.admin));
    assert.equal(data.albums.totalCount, 3);
    const byTitle = new Map(data.albums.nodes.map((album) => [album.title, album]));
    assert.deepEqual([...byTitle.keys()].sort(), ['cameras', 'gps', 'orientation']);
    assert.equal(byTitle.get('orientation')?.photoCount, 18);
    assert.equal(byTitle.get('orientation')?.photos.nodes.length, 18);
    assert.equal(byTitle.get('gps')?.visibility, 'PRIVATE');
  });

  it('reports width and height as displayed, EXIF orientation applied', async () => {
    const data = dataOf(await postGraphQL(server.url, GalleryQuery, { albums: 10, photos: 50 }, server.admin));
    const orientation = data.albums.nodes.find((album) => album.title === 'orientation');
    assert.ok(orientation);
    for (const photo of orientation.photos.nodes) {
      const expected = photo.title.startsWith('Landscape') ? [1800, 1200] : [1200, 1800];
      assert.deepEqual([photo.width, photo.height], expected, photo.title);
      assert.deepEqual([photo.image.width, photo.image.height], expected);
      assert.deepEqual([photo.thumb.width, photo.thumb.height], [256, 256]);
      const widths = photo.title.startsWith('Landscape') ? [640, 1280, 1800] : [427, 853, 1200];
      const entries = photo.srcSet.split(', ');
      assert.deepEqual(
        entries.map((entry) => Number(entry.split(' ')[1]?.replace('w', ''))),
        widths,
      );
      assert.match(entries[0] ?? '', /^\/images\/[\w-]{22}\/small\.avif\?v=1\.[0-9a-f]{12}&exp=\d+&sig=[\w-]{43} \d+w$/);
    }
  });

  it('lists an imported album by capture time, oldest first, not in the order its files were read', async () => {
    const data = dataOf(await postGraphQL(server.url, GalleryQuery, { albums: 10, photos: 50 }, server.admin));
    const cameras = data.albums.nodes.find((album) => album.title === 'cameras');
    const titles = cameras?.photos.nodes.map((photo) => photo.title) ?? [];
    // Taken 1998-12-01, 1999-05-25, 2000-11-07, 2001-04-06, 2001-04-12, 2001-06-09 (their EXIF DateTimeOriginal).
    assert.deepEqual(titles, ['sony-d700', 'kodak-dc240', 'olympus-c960', 'nikon-e950', 'fujifilm-dx10', 'canon-ixus']);
  });

  it('hands out signed image URLs for private photos, and they load', async () => {
    const data = dataOf(await postGraphQL(server.url, GalleryQuery, { albums: 1, photos: 1 }, server.admin));
    const url = data.albums.nodes[0]?.photos.nodes[0]?.image.url;
    assert.ok(url);
    assert.match(
      url,
      /^\/images\/[A-Za-z0-9_-]{22}\/original\.jpg\?v=1\.[0-9a-f]{12}&exp=\d+&sig=[A-Za-z0-9_-]{43}&g=original$/,
      "the admin's ORIGINAL grants the untouched bytes",
    );
    const response = await request(`${server.url}${url}`);
    const bytes = Buffer.from(await response.body.arrayBuffer());
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['cache-control']), /^private, max-age=\d+, immutable$/);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });

  it('pages through every photo exactly once with cursors', async () => {
    const seen: string[] = [];
    let after: string | null | undefined;
    let total = 0;
    for (let page = 0; page < 20; page++) {
      const data = dataOf(await postGraphQL(server.url, PhotosPageQuery, { first: 5, after }, server.admin));
      total = data.photos.totalCount;
      seen.push(...data.photos.edges.map((edge) => edge.node.id));
      if (!data.photos.pageInfo.hasNextPage) break;
      after = data.photos.pageInfo.endCursor;
    }
    assert.equal(total, 27);
    assert.equal(seen.length, 27);
    assert.equal(new Set(seen).size, 27);
  });

  it('reads the capture time from EXIF, as the camera recorded it', async () => {
    const data = dataOf(await postGraphQL(server.url, PhotosPageQuery, { first: 100 }, server.admin));
    const dscn0010 = data.photos.edges.find((edge) => edge.node.title === 'DSCN0010');
    assert.equal(dscn0010?.node.takenAt, '2008-10-22T16:28:39');
    assert.equal(dscn0010?.node.mimeType, 'image/jpeg');
    assert.equal(dscn0010?.node.byteSize, 161713);
  });

  it('refetches photos and albums by opaque global id', async () => {
    const data = dataOf(await postGraphQL(server.url, GalleryQuery, { albums: 1, photos: 1 }, server.admin));
    const album = data.albums.nodes[0];
    const photo = album?.photos.nodes[0];
    assert.ok(album && photo);
    assert.doesNotMatch(Buffer.from(photo.id, 'base64').toString(), /:\d+$/, 'the global id does not carry the row id');
    const photoNode = dataOf(await postGraphQL(server.url, NodeQuery, { id: photo.id }, server.admin)).node;
    assert.equal(photoNode?.__typename, 'Photo');
    assert.equal(photoNode?.__typename === 'Photo' && photoNode.albums[0]?.title, album.title);
    const albumNode = dataOf(await postGraphQL(server.url, NodeQuery, { id: album.id }, server.admin)).node;
    assert.equal(albumNode?.__typename === 'Album' && albumNode.title, album.title);
  });

  it('runs a gallery page in a constant number of SQL statements, reported in Server-Timing', async () => {
    const small = await postGraphQL(server.url, GalleryQuery, { albums: 1, photos: 1 }, server.admin);
    const large = await postGraphQL(server.url, GalleryQuery, { albums: 3, photos: 18 }, server.admin);
    dataOf(small);
    dataOf(large);
    // Reads: statements run, or answered from rows remembered since the last commit.
    assert.equal(sqlReads(large.headers), sqlReads(small.headers));
    assert.ok(sqlReads(large.headers) <= 3, `read ${sqlReads(large.headers)} times`);
  });

  it('answers plain GET queries', async () => {
    const query = encodeURIComponent('{ photos(first: 1) { totalCount } }');
    const response = await request(`${server.url}/graphql?query=${query}`, { headers: { accept: 'application/json', ...server.admin } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(await response.body.json(), { data: { photos: { totalCount: 27 } } });
  });

  it('serves GraphiQL to a browser, opening with a working example query', async () => {
    const response = await request(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await response.body.text();
    assert.equal(response.statusCode, 200);
    assert.match(html, /graphiql/i);
    assert.match(html, /query Gallery/);
  });
});
