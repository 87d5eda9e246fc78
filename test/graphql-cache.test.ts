import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { request } from 'undici';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { dataOf, fromResponseCache, postGraphQL, sqlReads, sqlStatements } from './helpers/graphql.ts';
import { buildLibrary, importIntoDataDir } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const GalleryPage = graphql(`
  query GalleryPage($albums: Int!, $photos: Int!) {
    albums(first: $albums) {
      totalCount
      nodes {
        id
        title
        cover {
          id
          image(variant: THUMB) {
            url
          }
        }
        photos(first: $photos) {
          totalCount
          nodes {
            id
            width
            height
            placeholder {
              hash
              dominantColor
            }
            image(variant: THUMB) {
              url
              width
              height
            }
          }
        }
      }
    }
  }
`);

const PhotoDetail = graphql(`
  query PhotoDetail($id: ID!) {
    photo(id: $id) {
      title
      camera {
        make
        model
      }
      exposure {
        shutterSpeed
        fNumber
        iso
      }
      location {
        latitude
        longitude
      }
    }
  }
`);

const FilteredPhotos = graphql(`
  query FilteredPhotos($filter: PhotoFilter, $orderBy: PhotoOrder) {
    photos(first: 100, filter: $filter, orderBy: $orderBy) {
      totalCount
      nodes {
        id
        title
        takenAt
      }
    }
  }
`);

const RenameAlbum = graphql(`
  mutation RenameAlbum($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
    }
  }
`);

const GALLERY_GET = `{ albums(first: 5) { nodes { id title photos(first: 2) { nodes { id } } } } }`;

async function get(url: string, query: string, headers: Record<string, string> = {}) {
  const response = await request(`${url}/graphql?query=${encodeURIComponent(query)}`, {
    headers: { accept: 'application/json', ...headers },
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as { data?: unknown }),
  };
}

function dataIn<T>(response: { body?: { data?: unknown } }): T {
  assert.ok(response.body?.data, 'the response has data');
  return response.body.data as T;
}

describe('query planning, visibility of fields, filters, and the response cache', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'info' });
    for (const [folder, visible] of [
      ['gps', true],
      ['cameras', true],
      ['orientation', false],
    ] as const) {
      assert.equal((await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, folder), { public: visible })).failed.length, 0);
    }
    // More albums than a page holds, so the gallery page is really 20 × 12.
    for (let i = 0; i < 20; i++) {
      assert.equal(
        (await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, 'orientation'), { album: `Copy ${i}` })).failed.length,
        0,
      );
    }
  });

  after(() => server.close());

  it('runs a gallery page (20 albums × 12 photos, cover, placeholder, thumb) in a constant number of statements', async () => {
    const counts: number[] = [];
    for (const [albums, photos] of [
      [1, 1],
      [5, 3],
      [20, 12],
    ] as const) {
      const response = await postGraphQL(server.url, GalleryPage, { albums, photos }, server.admin);
      const data = dataOf(response);
      assert.equal(data.albums.nodes.length, albums);
      assert.ok(data.albums.nodes.every((album) => album.photos.nodes.length <= photos && album.cover !== null));
      counts.push(sqlReads(response.headers));
    }
    assert.equal(new Set(counts).size, 1, `statements per page size: ${counts.join(', ')}`);
    assert.ok((counts[0] ?? 99) <= 3, `${counts[0]} statements`);
  });

  it('location is there for the admin and null for anonymous callers', async () => {
    const photos = dataOf(await postGraphQL(server.url, FilteredPhotos, { filter: { cameraMake: 'NIKON' } }, server.admin)).photos.nodes;
    const dscn0010 = photos.find((photo) => photo.title === 'DSCN0010');
    assert.ok(dscn0010);
    const admin = dataOf(await postGraphQL(server.url, PhotoDetail, { id: dscn0010.id }, server.admin)).photo;
    assert.ok(admin?.location);
    assert.ok(Math.abs(admin.location.latitude - 43.467448) < 1e-5);
    assert.ok(Math.abs(admin.location.longitude - 11.885127) < 1e-5);
    assert.deepEqual(admin.camera, { make: 'NIKON', model: 'COOLPIX P6000' });
    assert.deepEqual(admin.exposure, { shutterSpeed: '1/75', fNumber: 5.9, iso: 64 });
    const canon = dataOf(await postGraphQL(server.url, FilteredPhotos, { filter: { cameraMake: 'Canon' } }, server.admin)).photos.nodes[0];
    assert.ok(canon);
    const canonDetail = dataOf(await postGraphQL(server.url, PhotoDetail, { id: canon.id }, server.admin)).photo;
    // As exiftool reports them for the exif.org Canon IXUS sample.
    assert.deepEqual(canonDetail?.camera, { make: 'Canon', model: 'Canon DIGITAL IXUS' });
    assert.deepEqual(canonDetail?.exposure, { shutterSpeed: '1/350', fNumber: 4, iso: null });
    assert.equal(canon.takenAt, '2001-06-09T15:17:32');
    const anonymous = dataOf(await postGraphQL(server.url, PhotoDetail, { id: dscn0010.id })).photo;
    assert.equal(anonymous?.title, 'DSCN0010');
    assert.equal(anonymous?.location, null);
  });

  it('filters by camera make, taken-date range, status and album, with totals that match', async () => {
    const nikon = dataOf(await postGraphQL(server.url, FilteredPhotos, { filter: { cameraMake: 'NIKON' } }, server.admin)).photos;
    assert.equal(nikon.totalCount, nikon.nodes.length);
    assert.ok(nikon.nodes.some((photo) => photo.title === 'DSCN0010'));
    const range = dataOf(
      await postGraphQL(
        server.url,
        FilteredPhotos,
        { filter: { takenAfter: '2008-10-22T16:28:00Z', takenBefore: '2008-10-22T16:40:00Z' }, orderBy: 'TAKEN_AT_ASC' },
        server.admin,
      ),
    ).photos;
    assert.deepEqual(
      range.nodes.map((photo) => photo.title),
      ['DSCN0010', 'DSCN0021'],
    );
    const failed = dataOf(await postGraphQL(server.url, FilteredPhotos, { filter: { status: ['FAILED'] } }, server.admin)).photos;
    assert.equal(failed.totalCount, 0);
    const byTitle = dataOf(await postGraphQL(server.url, FilteredPhotos, { orderBy: 'TITLE_DESC' }, server.admin)).photos.nodes.map(
      (p) => p.title,
    );
    assert.deepEqual(byTitle, [...byTitle].sort().reverse());
  });

  it('anonymous GETs are cached: ETag, 304 on If-None-Match, a new ETag once data changes', async () => {
    const first = await get(server.url, GALLERY_GET);
    assert.equal(first.status, 200);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[\w-]+"$/, 'a quoted, strong entity tag');
    assert.equal(first.headers['cache-control'], 'public, no-cache');
    assert.deepEqual(
      String(first.headers.vary)
        .split(',')
        .map((name) => name.trim())
        .sort(),
      ['Accept', 'Authorization', 'X-Lightbox-Share'],
      'the answer depends on Accept (JSON or GraphiQL), on Authorization and on a share link',
    );

    const again = await get(server.url, GALLERY_GET, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, undefined);
    // The version is read from the wal-index header (see DatabaseVersion), not through SQL.
    assert.equal(sqlStatements(again.headers), 0, 'a 304 runs no SQL');

    const albumId = dataIn<{ albums: { nodes: { id: string }[] } }>(first).albums.nodes[0]?.id;
    assert.ok(albumId);
    const renamed = dataOf(
      await postGraphQL(server.url, RenameAlbum, { input: { id: albumId, title: 'Renamed' } }, server.admin),
    ).updateAlbum;
    assert.equal(renamed.__typename, 'AlbumPayload');
    const changed = await get(server.url, GALLERY_GET, { 'if-none-match': etag });
    assert.equal(changed.status, 200, 'a mutation ends the cached answer');
    assert.notEqual(changed.headers.etag, etag);
    assert.match(JSON.stringify(changed.body), /Renamed/);
  });

  it('a stored GET is answered before Yoga with the very bytes and headers Yoga sends, for both JSON types and for 304s', async () => {
    const urlFor = (alias: string) =>
      `${server.url}/graphql?query=${encodeURIComponent(`{ ${alias}: albums(first: 3) { totalCount nodes { title photoCount } } }`)}`;
    const served = (line: { msg: string; answered?: string }) => line.msg === 'graphql request' && line.answered === 'stored';
    const compared = ['content-type', 'content-length', 'etag', 'last-modified', 'vary', 'cache-control'];
    for (const [index, accept] of ['application/graphql-response+json', 'application/json'].entries()) {
      // A query of its own for each type, so the first answer is Yoga's own.
      const url = urlFor(`page${index}`);
      const fromYoga = await request(url, { headers: { accept } });
      const yogaBody = await fromYoga.body.text();
      const before = server.logs.filter(served).length;
      const stored = await request(url, { headers: { accept } });
      const storedBody = await stored.body.text();
      assert.equal(server.logs.filter(served).length, before + 1, 'answered before Yoga');
      assert.equal(storedBody, yogaBody, `${accept}: the same bytes`);
      for (const name of compared) assert.equal(stored.headers[name], fromYoga.headers[name], `${accept}: ${name}`);
      assert.equal(sqlStatements(stored.headers), 0);
      const revalidated = await request(url, { headers: { accept, 'if-none-match': String(stored.headers.etag) } });
      await revalidated.body.dump();
      assert.equal(revalidated.statusCode, 304);
      for (const name of ['etag', 'last-modified', 'vary', 'cache-control'])
        assert.equal(revalidated.headers[name], stored.headers[name], name);
    }
    // What it leaves to Yoga: credentials, a share link, GraphiQL's Accept.
    const url = urlFor('page0');
    const before = server.logs.filter(served).length;
    for (const headers of [
      { accept: 'application/json', ...server.admin },
      { accept: 'application/json', 'x-lightbox-share': 'A'.repeat(32) },
      { accept: 'text/html' },
    ]) {
      await (await request(url, { headers })).body.dump();
    }
    assert.equal(server.logs.filter(served).length, before, 'none of those was answered from the store');
  });

  it('anonymous POSTs (as Apollo and Relay send them) come from the same cache, without validators; the admin is never cached', async () => {
    const variables = { albums: 5, photos: 3 };
    const miss = await postGraphQL(server.url, GalleryPage, variables);
    const hit = await postGraphQL(server.url, GalleryPage, variables);
    assert.ok(!fromResponseCache(miss.headers), 'the first one runs');
    assert.ok(fromResponseCache(hit.headers), 'the same query again is answered from memory');
    assert.equal(sqlStatements(hit.headers), 0);
    assert.deepEqual(hit.body, miss.body);
    // The same request in other bytes (keys reordered, spaces) is the same query; repeats of either are too.
    const query = print(GalleryPage);
    for (const body of [
      `{ "variables": ${JSON.stringify(variables)},  "query": ${JSON.stringify(query)} }`,
      JSON.stringify({ query, variables }),
    ]) {
      for (let repeat = 0; repeat < 2; repeat++) {
        const again = await request(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        assert.ok(fromResponseCache(again.headers), `answered from memory (${repeat})`);
        assert.deepEqual(await again.body.json(), miss.body);
      }
    }
    for (const response of [miss, hit]) {
      assert.equal(response.headers.etag, undefined, 'a POST is not revalidated');
      assert.equal(response.headers['last-modified'], undefined);
      assert.doesNotMatch(String(response.headers['cache-control'] ?? ''), /public/);
    }
    const otherVariables = await postGraphQL(server.url, GalleryPage, { albums: 5, photos: 2 });
    assert.ok(!fromResponseCache(otherVariables.headers), 'other variables are another query');

    const admin = await postGraphQL(server.url, GalleryPage, variables, server.admin);
    const adminAgain = await postGraphQL(server.url, GalleryPage, variables, server.admin);
    assert.ok(!fromResponseCache(admin.headers) && !fromResponseCache(adminAgain.headers), 'the admin is always executed');

    const albumId = dataOf(hit).albums.nodes[0]?.id;
    assert.ok(albumId);
    dataOf(await postGraphQL(server.url, RenameAlbum, { input: { id: albumId, title: 'Renamed by POST test' } }, server.admin));
    const after = await postGraphQL(server.url, GalleryPage, variables);
    assert.ok(
      !fromResponseCache(after.headers) && sqlStatements(after.headers) > 0,
      'a mutation ends the cached answer, and the rows read before it',
    );
    assert.match(JSON.stringify(after.body), /Renamed by POST test/);
  });

  it('a stored POST is answered before Yoga with the very bytes and headers Yoga sends; parameters Yoga would refuse still reach Yoga', async () => {
    const query = '{ storedPost: albums(first: 2) { totalCount nodes { title } } }';
    const served = (line: { msg: string; answered?: string }) => line.msg === 'graphql request' && line.answered === 'stored';
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    for (const accept of ['application/graphql-response+json', 'application/json', undefined]) {
      const headers: Record<string, string> = accept === undefined ? {} : { accept };
      const body = { query, variables: { accept: accept ?? 'none' } };
      const fromYoga = await post(body, headers);
      const yogaBody = await fromYoga.body.text();
      const before = server.logs.filter(served).length;
      const stored = await post(body, headers);
      const storedBody = await stored.body.text();
      assert.equal(server.logs.filter(served).length, before + 1, `${accept}: answered before Yoga`);
      assert.equal(storedBody, yogaBody, `${accept}: the same bytes`);
      for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'vary', 'cache-control'])
        assert.equal(stored.headers[name], fromYoga.headers[name], `${accept}: ${name}`);
      assert.equal(sqlStatements(stored.headers), 0);
    }
    const before = server.logs.filter(served).length;
    for (const body of [
      { query, operationName: 7 },
      { query, variables: [1] },
      { query, extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } },
    ]) {
      const refused = await post(body);
      assert.equal(refused.statusCode, 400, JSON.stringify(body));
      assert.ok(((await refused.body.json()) as { errors?: unknown[] }).errors?.length, JSON.stringify(body));
    }
    assert.equal(server.logs.filter(served).length, before, 'none of those was answered from the store');
  });

  it("a 304 confirms only the query asked: another cached query's ETag gets a full answer", async () => {
    const other = '{ albums(first: 1) { totalCount } }';
    const a = await get(server.url, GALLERY_GET);
    const b = await get(server.url, other);
    assert.equal(b.status, 200);
    const etagA = String(a.headers.etag);
    assert.notEqual(String(b.headers.etag), etagA);
    const crossed = await get(server.url, other, { 'if-none-match': etagA });
    assert.equal(crossed.status, 200, "query B with query A's ETag");
    assert.equal(crossed.headers.etag, b.headers.etag);
    assert.deepEqual(crossed.body, b.body);
    assert.equal(
      (await get(server.url, other, { 'if-none-match': `${etagA}, ${String(b.headers.etag)}` })).status,
      304,
      'a list naming it',
    );
    assert.equal((await get(server.url, other, { 'if-none-match': `W/${String(b.headers.etag)}` })).status, 304, 'weakly compared');
  });

  it('a write by another process (an import) also ends the cached answer', async () => {
    const first = await get(server.url, GALLERY_GET);
    const etag = String(first.headers.etag);
    assert.equal((await get(server.url, GALLERY_GET, { 'if-none-match': etag })).status, 304);
    const result = await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--album', 'Fresh', '--public'], {
      LIGHTBOX_DATA_DIR: server.dataDir,
    });
    assert.equal(result.code, 0);
    const after = await get(server.url, GALLERY_GET, { 'if-none-match': etag });
    assert.equal(after.status, 200);
    assert.match(JSON.stringify(after.body), /Fresh/);
  });

  it('results for the admin are never cached nor served to anyone else', async () => {
    const query = '{ albums(first: 50) { totalCount } }';
    const admin = await get(server.url, query, server.admin);
    assert.equal(admin.status, 200);
    assert.equal(admin.headers.etag, undefined);
    assert.equal(admin.headers['cache-control'], 'private, no-store');
    const adminTotal = dataIn<{ albums: { totalCount: number } }>(admin).albums.totalCount;
    const anonymous = await get(server.url, query);
    const anonymousTotal = dataIn<{ albums: { totalCount: number } }>(anonymous).albums.totalCount;
    assert.ok(adminTotal > anonymousTotal, `admin sees ${adminTotal}, anonymous ${anonymousTotal}`);
    const replay = await get(server.url, query, { 'if-none-match': String(anonymous.headers.etag), ...server.admin });
    assert.equal(replay.status, 200, 'an admin request never gets a 304 from the anonymous cache');
  });

  it('with CORS on, Yoga answers stored results itself: the same bytes, with Vary: Origin', async () => {
    const open = await startTestServer({ LIGHTBOX_CORS_ORIGINS: 'https://app.example' });
    try {
      await buildLibrary(open.dataDir, {
        albums: { Open: 'PUBLIC' },
        photos: { a: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] } },
      });
      const post = () =>
        request(`${open.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'https://app.example' },
          body: JSON.stringify({ query: '{ albums(first: 5) { nodes { id title photoCount } } }' }),
        });
      const first = await post();
      const firstBody = await first.body.text();
      const again = await post();
      const againBody = await again.body.text();
      assert.ok(!fromResponseCache(first.headers) && fromResponseCache(again.headers), 'the second is answered from memory');
      assert.equal(againBody, firstBody, 'byte for byte');
      assert.match(JSON.parse(againBody).data.albums.nodes[0].title, /Open/);
      assert.match(String(again.headers.vary), /Origin/);
      assert.equal(again.headers['access-control-allow-origin'], 'https://app.example');
    } finally {
      await open.close();
    }
  });
});
