import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../src/db/client.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { processingSettled } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

const Found = graphql(`
  query Found($filter: PhotoFilter, $orderBy: PhotoOrder, $after: String) {
    photos(first: 2, filter: $filter, orderBy: $orderBy, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        title
        keywords
        place {
          name
          country
          countryCode
        }
      }
    }
  }
`);

const FoundTimeline = graphql(`
  query FoundTimeline($filter: PhotoFilter) {
    timeline(bucket: YEAR, filter: $filter) {
      count
    }
  }
`);

const SetKeywords = graphql(`
  mutation SetKeywords($input: UpdatePhotoInput!) {
    updatePhoto(input: $input) {
      __typename
      ... on PhotoPayload {
        photo {
          keywords
        }
      }
      ... on ValidationError {
        field
        message
      }
    }
  }
`);

const TagMany = graphql(`
  mutation TagMany($input: UpdatePhotosInput!) {
    updatePhotos(input: $input) {
      __typename
      ... on PhotosPayload {
        photos {
          keywords
        }
      }
      ... on ValidationError {
        field
      }
      ... on NotFoundError {
        missingId
      }
    }
  }
`);

const xmpPacket = (body: string) =>
  `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/">${body}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

/** A copy of a camera photo with keywords written into its XMP as Lightroom does: flat (dc:subject) and hierarchical. */
async function taggedCopy(dir: string, flat: string[], hierarchical: string[]): Promise<string> {
  const bag = (items: string[]) => `<rdf:Bag>${items.map((item) => `<rdf:li>${item}</rdf:li>`).join('')}</rdf:Bag>`;
  const file = path.join(dir, 'tagged.jpg');
  await sharp(path.join(FIXTURE_PHOTOS, 'cameras', 'sony-d700.jpg'))
    .keepMetadata()
    .withXmp(xmpPacket(`<dc:subject>${bag(flat)}</dc:subject><lr:hierarchicalSubject>${bag(hierarchical)}</lr:hierarchicalSubject>`))
    .jpeg()
    .toFile(file);
  return file;
}

const toGlobalId = (type: string, publicId: string) => Buffer.from(`${type}:${publicId}`).toString('base64');

describe('finding photos by words, keywords and places', () => {
  let server: TestServer;
  let ids: Record<string, string>;
  let privateAlbumId: string;

  before(async () => {
    const dataDir = await makeTempDir();
    const files = await makeTempDir();
    const built = await buildLibrary(dataDir, {
      albums: { 'Holiday in Portugal': 'PUBLIC', 'Secret Ceremony': 'PRIVATE' },
      photos: {
        'Tram in Zürich': { file: path.join(FIXTURE_PHOTOS, 'cameras', 'canon-ixus.jpg'), albums: ['Holiday in Portugal'] },
        'Lisbon harbour': { file: path.join(FIXTURE_PHOTOS, 'cameras', 'kodak-dc240.jpg'), albums: ['Holiday in Portugal'] },
        Tagged: { file: await taggedCopy(files, ['tram', 'Lisboa'], ['Places|Portugal|Alfama']), albums: ['Holiday in Portugal'] },
        Tuscany: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Holiday in Portugal', 'Secret Ceremony'] },
        Hidden: { file: path.join(FIXTURE_PHOTOS, 'cameras', 'nikon-e950.jpg'), albums: ['Secret Ceremony'] },
      },
    });
    ids = Object.fromEntries(Object.entries(built.photos).map(([name, id]) => [name, toGlobalId('Photo', id)]));
    privateAlbumId = toGlobalId('Album', built.albums['Secret Ceremony'] as string);
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_WORKERS: '2' });
    await processingSettled(server);
  });

  after(async () => {
    await server?.close();
  });

  const find = async (filter: object, headers: Record<string, string> = server.admin, orderBy?: 'TITLE_ASC' | 'RELEVANCE') => {
    const first = await postGraphQL(server.url, Found, { filter, orderBy }, headers);
    const page = dataOf(first).photos;
    // Every page, through the cursors: the list and its total must agree.
    const nodes = [...page.nodes];
    let cursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    while (cursor) {
      const next = dataOf(await postGraphQL(server.url, Found, { filter, orderBy, after: cursor }, headers)).photos;
      nodes.push(...next.nodes);
      cursor = next.pageInfo.hasNextPage ? next.pageInfo.endCursor : null;
    }
    assert.equal(nodes.length, page.totalCount, `${JSON.stringify(filter)}: every page adds up to totalCount`);
    return nodes;
  };
  const titles = async (filter: object, headers?: Record<string, string>) => (await find(filter, headers)).map((photo) => photo.title);

  it('reads keywords from the file at import: dc:subject, and every level of a Lightroom hierarchy', async () => {
    const [tagged] = await find({ keyword: 'alfama' });
    assert.deepEqual(tagged?.keywords, ['Alfama', 'Lisboa', 'Places', 'Portugal', 'tram']);
  });

  it('finds by words in titles, keywords, album titles and cameras, as prefixes, with accents folded, best match first', async () => {
    assert.deepEqual(await titles({ text: 'zurich' }), ['Tram in Zürich']);
    assert.deepEqual(await titles({ text: 'ZÜRICH' }), ['Tram in Zürich']);
    assert.deepEqual(await titles({ text: 'lisb' }), ['Lisbon harbour', 'Tagged'], 'a title outranks a keyword (Lisboa)');
    assert.deepEqual(await titles({ text: 'tram' }), ['Tram in Zürich', 'Tagged']);
    assert.deepEqual(await titles({ text: 'tram zur' }), ['Tram in Zürich'], 'every word must match');
    assert.equal((await titles({ text: 'holiday portugal' })).length, 4, "the album's title");
    assert.deepEqual(await titles({ text: 'ceremony' }), ['Hidden', 'Tuscany']);
    assert.deepEqual(await titles({ text: 'canon' }), ['Tram in Zürich'], 'the camera make');
    assert.deepEqual(await titles({ text: 'lisb', albumId: privateAlbumId }), []);
  });

  it('finds by place: GPS looked up offline against GeoNames', async () => {
    const [tuscany] = await find({ text: 'arezzo' });
    assert.equal(tuscany?.title, 'Tuscany');
    assert.deepEqual(tuscany?.place, { name: 'Arezzo', country: 'Italy', countryCode: 'IT' });
    assert.deepEqual(await titles({ text: 'italy' }), ['Tuscany']);
  });

  it('searches only what the viewer may read: no private album titles, no places for the anonymous', async () => {
    assert.deepEqual(await titles({ text: 'zurich' }, {}), ['Tram in Zürich']);
    assert.deepEqual(await titles({ text: 'ceremony' }, {}), [], "a private album's title finds nothing");
    assert.deepEqual(await titles({ text: 'arezzo' }, {}), [], 'nor does the place');
    assert.deepEqual(await titles({ text: 'holiday' }, {}), [], "album titles are the owner's to search");
    assert.deepEqual(await titles({ text: 'hidden' }, {}), [], 'a photo the viewer cannot see');
    const [tuscany] = await find({ text: 'tuscany' }, {});
    assert.equal(tuscany?.place, null);
    const hiding = await createShareLinkAsAdmin(server, { albumId: privateAlbumId, showMetadata: false });
    assert.deepEqual(await titles({ text: 'canon' }, { 'x-lightbox-share': hiding.token }), [], 'no camera where metadata is hidden');
    assert.deepEqual(await titles({ keyword: 'tram' }, { 'x-lightbox-share': hiding.token }), []);
    const showing = await createShareLinkAsAdmin(server, { albumId: privateAlbumId, showLocation: true });
    assert.deepEqual(await titles({ text: 'hidden' }, { 'x-lightbox-share': showing.token }), ['Hidden']);
  });

  it('answers any string sanely: FTS syntax is only text, too long or too many words a typed error', async () => {
    for (const text of [
      '"',
      '*',
      'tram*',
      'NEAR(tram zurich)',
      'tram OR lisbon',
      'tram AND',
      '"tram',
      '{title}: tram',
      '^tram',
      'tram -zurich',
      '😀',
      '東京',
    ]) {
      const response = await postGraphQL(server.url, Found, { filter: { text } }, server.admin);
      assert.equal(response.status, 200, text);
      assert.equal(response.body.errors, undefined, `${text}: ${JSON.stringify(response.body.errors)}`);
    }
    assert.deepEqual(await titles({ text: 'tram OR lisbon' }), [], 'OR is a word here, and no photo has it');
    assert.deepEqual(await titles({ text: '!!! ---' }), [], 'punctuation alone is no word');
    for (const text of ['x'.repeat(201), Array.from({ length: 13 }, (_, i) => `w${i}`).join(' ')]) {
      const response = await postGraphQL(server.url, Found, { filter: { text } }, server.admin);
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'VALIDATION', text.slice(0, 20));
    }
    const relevanceAlone = await postGraphQL(server.url, Found, { orderBy: 'RELEVANCE' }, server.admin);
    assert.equal(relevanceAlone.body.errors?.[0]?.extensions?.code, 'VALIDATION');
    const keyword = await postGraphQL(server.url, Found, { filter: { keyword: 'k'.repeat(10_240) } }, server.admin);
    assert.equal(keyword.body.errors?.[0]?.extensions?.code, 'VALIDATION');
  });

  it('counts in the timeline what the search finds', async () => {
    const buckets = dataOf(await postGraphQL(server.url, FoundTimeline, { filter: { text: 'tram' } }, server.admin)).timeline;
    assert.equal(
      buckets.reduce((sum, bucket) => sum + bucket.count, 0),
      2,
    );
  });

  it('sets keywords one photo at a time and in bulk, and finds by them at once', async () => {
    const one = dataOf(
      await postGraphQL(
        server.url,
        SetKeywords,
        { input: { id: ids.Hidden as string, keywords: ['Wedding', 'wedding ', 'Family'] } },
        server.admin,
      ),
    ).updatePhoto;
    assert.deepEqual(one, { __typename: 'PhotoPayload', photo: { keywords: ['Family', 'Wedding'] } }, 'the same word twice is one');
    assert.deepEqual(await titles({ keyword: 'WEDDING' }), ['Hidden']);
    assert.deepEqual(await titles({ text: 'wedd' }), ['Hidden']);

    const many = dataOf(
      await postGraphQL(
        server.url,
        TagMany,
        { input: { ids: [ids['Lisbon harbour'] as string, ids.Hidden as string], addKeywords: ['Sea'], removeKeywords: ['family'] } },
        server.admin,
      ),
    ).updatePhotos;
    assert.deepEqual(many, { __typename: 'PhotosPayload', photos: [{ keywords: ['Sea'] }, { keywords: ['Sea', 'Wedding'] }] });
    assert.deepEqual((await titles({ keyword: 'sea' })).sort(), ['Hidden', 'Lisbon harbour']);
    assert.deepEqual(await titles({ keyword: 'family' }), []);

    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const names = handle.sqlite.prepare('SELECT name FROM keywords ORDER BY key').pluck().all();
      assert.ok(!names.includes('Family'), 'a keyword no photo has any more is gone');
    } finally {
      handle.close();
    }

    const tooLong = dataOf(
      await postGraphQL(server.url, SetKeywords, { input: { id: ids.Hidden as string, keywords: ['x'.repeat(101)] } }, server.admin),
    ).updatePhoto;
    assert.equal(tooLong.__typename, 'ValidationError');
    const missing = dataOf(
      await postGraphQL(
        server.url,
        TagMany,
        { input: { ids: [ids.Hidden as string, toGlobalId('Photo', 'nosuchphoto')], addKeywords: ['Lost'] } },
        server.admin,
      ),
    ).updatePhotos;
    assert.equal(missing.__typename, 'NotFoundError');
    assert.deepEqual(await titles({ keyword: 'lost' }), [], 'all or none');
    const anonymous = await postGraphQL(server.url, SetKeywords, { input: { id: ids.Tuscany as string, keywords: ['x'] } }, {});
    assert.notEqual(anonymous.body.data?.updatePhoto?.__typename ?? 'refused', 'PhotoPayload', 'only the admin sets keywords');
    assert.deepEqual(await titles({ keyword: 'x' }), []);
  });

  it('reads the index and the keyword rows, never the library: EXPLAIN QUERY PLAN', async () => {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const plan = (query: string) =>
        (handle.sqlite.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[]).map((row) => row.detail).join('\n');
      const search = plan(`SELECT photos.id FROM (SELECT rowid AS photo_id FROM photo_search WHERE photo_search MATCH '"tram"*') AS "match"
                             CROSS JOIN photos ON photos.id = "match".photo_id WHERE "photos"."in_public_album" = 1 ORDER BY photos.created_at DESC LIMIT 20`);
      assert.match(search, /VIRTUAL TABLE INDEX/);
      assert.doesNotMatch(search, /SCAN photos/);
      const byKeyword =
        plan(`SELECT photos.id FROM (SELECT photo_id FROM photo_keywords WHERE keyword_id = (SELECT id FROM keywords WHERE key = 'tram')) AS "match"
                                CROSS JOIN photos ON photos.id = "match".photo_id ORDER BY photos.title LIMIT 20`);
      assert.match(byKeyword, /SEARCH photo_keywords USING COVERING INDEX photo_keywords_keyword_idx/);
      assert.doesNotMatch(byKeyword, /SCAN photos/);
      const unplaced = plan(`SELECT id FROM photos WHERE "latitude" IS NOT NULL AND "place_id" IS NULL AND id > 0 ORDER BY id LIMIT 200`);
      assert.match(unplaced, /photos_unplaced_idx/);
    } finally {
      handle.close();
    }
  });
});

describe('places for a library from before places', () => {
  it('are found when the server starts, once', async () => {
    const dataDir = await makeTempDir();
    await buildLibrary(dataDir, {
      albums: {},
      photos: { Tuscany: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), albums: [] } },
    });
    const handle = openDatabase(path.join(dataDir, 'lightbox.db'));
    try {
      // Imported by a version without places: a position, no place looked up.
      handle.sqlite.exec(`UPDATE photos SET place_id = NULL, status = 'READY'`);
      assert.equal(handle.sqlite.prepare('SELECT count(*) FROM photos WHERE latitude IS NOT NULL').pluck().get(), 1);
    } finally {
      handle.close();
    }
    const server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_WORKERS: '1', LOG_LEVEL: 'info' });
    try {
      await server.logged('found the places of geotagged photos', 1);
      const [photo] = dataOf(await postGraphQL(server.url, Found, { filter: { text: 'arezzo' } }, server.admin)).photos.nodes;
      assert.equal(photo?.place?.name, 'Arezzo');
    } finally {
      await server.close();
    }
  });
});
