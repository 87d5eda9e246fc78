import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../src/db/client.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const Curated = graphql(`
  query Curated($filter: PhotoFilter, $orderBy: PhotoOrder) {
    photos(first: 50, filter: $filter, orderBy: $orderBy) {
      totalCount
      nodes {
        id
        title
        favorite
        rating
      }
    }
  }
`);

const CurateOne = graphql(`
  mutation CurateOne($input: UpdatePhotoInput!) {
    updatePhoto(input: $input) {
      __typename
      ... on PhotoPayload {
        photo {
          favorite
          rating
        }
      }
      ... on ValidationError {
        field
        message
      }
    }
  }
`);

const CurateMany = graphql(`
  mutation CurateMany($input: UpdatePhotosInput!) {
    updatePhotos(input: $input) {
      __typename
      ... on PhotosPayload {
        photos {
          id
          favorite
          rating
        }
      }
      ... on NotFoundError {
        missingId
      }
      ... on ValidationError {
        field
      }
    }
  }
`);

/** A copy of a camera photo with xmp:Rating written into it, as Lightroom or digiKam would. */
async function ratedCopy(dir: string, stars: number): Promise<string> {
  const xmp = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="${stars}"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
  const file = path.join(dir, `rated-${stars}.jpg`);
  await sharp(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'))
    .keepMetadata()
    .withXmp(xmp)
    .jpeg()
    .toFile(file);
  return file;
}

const toGlobalId = (type: string, publicId: string) => Buffer.from(`${type}:${publicId}`).toString('base64');

describe('favourites and ratings', () => {
  let server: TestServer;
  let ids: Record<string, string>;

  before(async () => {
    const dataDir = await makeTempDir();
    const files = await makeTempDir();
    const cameras = (name: string) => path.join(FIXTURE_PHOTOS, 'cameras', `${name}.jpg`);
    const built = await buildLibrary(dataDir, {
      albums: { open: 'PUBLIC' },
      photos: {
        canon: { file: cameras('canon-ixus'), albums: ['open'] },
        kodak: { file: cameras('kodak-dc240'), albums: ['open'] },
        nikon: { file: cameras('nikon-e950'), albums: [] },
        sony: { file: cameras('sony-d700'), albums: ['open'] },
        rated: { file: await ratedCopy(files, 4), albums: ['open'] },
        rejected: { file: await ratedCopy(files, -1), albums: [] },
      },
    });
    ids = Object.fromEntries(Object.entries(built.photos).map(([name, id]) => [name, toGlobalId('Photo', id)]));
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir });
  });

  after(async () => {
    await server?.close();
  });

  const list = async (filter: object, headers: Record<string, string> = server.admin) =>
    dataOf(await postGraphQL(server.url, Curated, { filter, orderBy: 'TITLE_ASC' }, headers)).photos;
  const titles = (photos: { nodes: { title: string }[] }) => photos.nodes.map((photo) => photo.title);

  it('reads the rating a file carries at import; a rejected or unrated file has none', async () => {
    const all = await list({});
    const rating = Object.fromEntries(all.nodes.map((photo) => [photo.title, photo.rating]));
    assert.deepEqual(rating, { canon: 0, kodak: 0, nikon: 0, sony: 0, rated: 4, rejected: 0 });
    assert.ok(all.nodes.every((photo) => photo.favorite === false));
  });

  it('marks one photo and many at once, and lists by each', async () => {
    const one = dataOf(
      await postGraphQL(server.url, CurateOne, { input: { id: ids.nikon as string, favorite: true, rating: 2 } }, server.admin),
    );
    assert.deepEqual(one.updatePhoto, { __typename: 'PhotoPayload', photo: { favorite: true, rating: 2 } });
    const many = dataOf(
      await postGraphQL(
        server.url,
        CurateMany,
        { input: { ids: [ids.sony as string, ids.canon as string], favorite: true, rating: 5 } },
        server.admin,
      ),
    ).updatePhotos;
    assert.equal(many.__typename, 'PhotosPayload');
    assert.deepEqual(
      many.__typename === 'PhotosPayload' ? many.photos : [],
      [
        { id: ids.sony, favorite: true, rating: 5 },
        { id: ids.canon, favorite: true, rating: 5 },
      ],
      'in the order asked',
    );

    const favourites = await list({ favorite: true });
    assert.deepEqual(titles(favourites), ['canon', 'nikon', 'sony']);
    assert.equal(favourites.totalCount, 3);
    assert.deepEqual(titles(await list({ minRating: 4 })), ['canon', 'rated', 'sony']);
    assert.equal((await list({ minRating: 2 })).totalCount, 4);
    assert.deepEqual(titles(await list({ minRating: 5, favorite: true })), ['canon', 'sony']);
    const newestRated = dataOf(
      await postGraphQL(server.url, Curated, { filter: { minRating: 1 }, orderBy: 'CREATED_AT_DESC' }, server.admin),
    );
    assert.deepEqual(
      titles(newestRated.photos),
      ['rated', 'sony', 'nikon', 'canon'],
      'several ratings merge into one order (newest added first)',
    );

    const unmark = dataOf(
      await postGraphQL(server.url, CurateMany, { input: { ids: [ids.nikon as string], favorite: false, rating: 0 } }, server.admin),
    );
    assert.equal(unmark.updatePhotos.__typename, 'PhotosPayload');
    assert.deepEqual(titles(await list({ favorite: true })), ['canon', 'sony']);
    assert.deepEqual(titles(await list({ minRating: 1 })), ['canon', 'rated', 'sony']);
  });

  it('are the owner’s alone: anyone else reads none and finds none, as if nothing were marked', async () => {
    const open = await list({}, {});
    assert.ok(open.nodes.length >= 3);
    assert.ok(open.nodes.every((photo) => photo.favorite === false && photo.rating === 0));
    for (const filter of [{ favorite: true }, { minRating: 1 }]) {
      const found = await list(filter, {});
      assert.deepEqual({ total: found.totalCount, nodes: found.nodes }, { total: 0, nodes: [] }, JSON.stringify(filter));
    }
  });

  it('refuses a rating out of range, an unknown photo in a bulk change and a filter it cannot serve, and changes nothing', async () => {
    const seven = dataOf(
      await postGraphQL(server.url, CurateOne, { input: { id: ids.kodak as string, rating: 7 } }, server.admin),
    ).updatePhoto;
    assert.equal(seven.__typename, 'ValidationError');
    assert.equal(seven.__typename === 'ValidationError' ? seven.field : '', 'rating');
    const half = dataOf(
      await postGraphQL(server.url, CurateOne, { input: { id: ids.kodak as string, rating: -1 } }, server.admin),
    ).updatePhoto;
    assert.equal(half.__typename, 'ValidationError');

    const missing = toGlobalId('Photo', 'no-such-photo');
    const bulk = dataOf(
      await postGraphQL(server.url, CurateMany, { input: { ids: [ids.kodak as string, missing], favorite: true } }, server.admin),
    ).updatePhotos;
    assert.deepEqual(bulk, { __typename: 'NotFoundError', missingId: missing });
    const twice = dataOf(
      await postGraphQL(
        server.url,
        CurateMany,
        { input: { ids: [ids.kodak as string, ids.kodak as string], favorite: true } },
        server.admin,
      ),
    ).updatePhotos;
    assert.equal(twice.__typename, 'ValidationError');
    const kodak = (await list({})).nodes.find((photo) => photo.title === 'kodak');
    assert.deepEqual({ favorite: kodak?.favorite, rating: kodak?.rating }, { favorite: false, rating: 0 }, 'nothing changed');

    for (const filter of [{ minRating: 7 }, { minRating: 0 }, { favorite: false }]) {
      const { body } = await postGraphQL(server.url, Curated, { filter }, server.admin);
      assert.equal(body.data?.photos ?? null, null, JSON.stringify(filter));
      assert.equal(body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify(filter));
    }
  });

  it('reads favourites and rated photos from indexes that hold only them', () => {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'));
    try {
      const plan = (query: string) =>
        (handle.sqlite.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[]).map((row) => row.detail).join('\n');
      assert.match(
        plan('SELECT id FROM photos WHERE "photos"."favorite" = 1 ORDER BY created_at DESC, id DESC LIMIT 50'),
        /SCAN photos USING (COVERING )?INDEX photos_favorite_created_at_idx/,
      );
      assert.match(
        plan('SELECT id FROM photos WHERE "photos"."rating" > 0 AND "photos"."rating" = 4 ORDER BY title, id LIMIT 50'),
        /SEARCH photos USING (COVERING )?INDEX photos_rated_title_idx \(rating=\?\)/,
      );
    } finally {
      handle.close();
    }
  });
});
