import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { buildScaleLibrary, SCALE_MAKES, seedScaleLibrary } from '../bench/lib/scale-library.ts';
import { graphql } from './generated/index.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';
import { type CapturedStatement, captureStatements } from './helpers/statements.ts';

// A library of 100,000 photos, built in seconds by copying real imports (bench/lib/scale-library.ts):
// every read's plan is asserted on it (no scan of photos or album_photos, no sort of more than a
// page), every total and page is checked against the visibility rule as first written (a
// subquery per photo, too slow to serve but plainly right), and what the database keeps for
// those reads (in_public_album, photo_count, photo_tallies) is checked against the rows it
// summarises after every kind of change.
const PHOTOS = 100_000;

const ScalePhotos = graphql(`
  query ScalePhotos($first: Int!, $after: String, $filter: PhotoFilter, $orderBy: PhotoOrder) {
    photos(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      nodes {
        id
      }
    }
  }
`);

const ScaleAlbums = graphql(`
  query ScaleAlbums($orderBy: AlbumOrder) {
    albums(first: 20, orderBy: $orderBy) {
      totalCount
      nodes {
        id
        photoCount
        cover {
          id
        }
        photos(first: 12) {
          nodes {
            id
          }
        }
      }
    }
  }
`);

const ScaleTimeline = graphql(`
  query ScaleTimeline($filter: PhotoFilter) {
    timeline(bucket: MONTH, filter: $filter) {
      start
      count
    }
  }
`);

const ScaleNode = graphql(`
  query ScaleNode($id: ID!) {
    node(id: $id) {
      id
      ... on Photo {
        title
        image(variant: THUMB) {
          url
        }
      }
    }
  }
`);

const ScaleNodes = graphql(`
  query ScaleNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

const ScaleAlbumPage = graphql(`
  query ScaleAlbumPage($id: ID!, $after: String) {
    album(id: $id) {
      photoCount
      photos(first: 12, after: $after) {
        pageInfo {
          endCursor
        }
        nodes {
          id
        }
      }
    }
  }
`);

const ScaleChanges = {
  updateAlbum: graphql(`
    mutation ScaleUpdateAlbum($input: UpdateAlbumInput!) {
      updateAlbum(input: $input) {
        __typename
      }
    }
  `),
  addPhotos: graphql(`
    mutation ScaleAddPhotos($albumId: ID!, $photoIds: [ID!]!) {
      addPhotosToAlbum(albumId: $albumId, photoIds: $photoIds) {
        __typename
      }
    }
  `),
  removePhotos: graphql(`
    mutation ScaleRemovePhotos($albumId: ID!, $photoIds: [ID!]!) {
      removePhotosFromAlbum(albumId: $albumId, photoIds: $photoIds) {
        __typename
      }
    }
  `),
  deletePhoto: graphql(`
    mutation ScaleDeletePhoto($id: ID!) {
      deletePhoto(id: $id) {
        __typename
      }
    }
  `),
  deleteAlbum: graphql(`
    mutation ScaleDeleteAlbum($id: ID!) {
      deleteAlbum(id: $id) {
        __typename
      }
    }
  `),
  updatePhoto: graphql(`
    mutation ScaleUpdatePhoto($input: UpdatePhotoInput!) {
      updatePhoto(input: $input) {
        __typename
      }
    }
  `),
};

type PhotoOrder = 'CREATED_AT_DESC' | 'CREATED_AT_ASC' | 'TAKEN_AT_DESC' | 'TAKEN_AT_ASC' | 'TITLE_ASC' | 'TITLE_DESC';
const ORDERS: PhotoOrder[] = ['CREATED_AT_DESC', 'CREATED_AT_ASC', 'TAKEN_AT_DESC', 'TAKEN_AT_ASC', 'TITLE_ASC', 'TITLE_DESC'];

interface Filter {
  albumId?: string;
  status?: ('PENDING' | 'PROCESSING' | 'READY' | 'FAILED')[];
  takenAfter?: string;
  takenBefore?: string;
  cameraMake?: string;
  favorite?: boolean;
  minRating?: number;
  text?: string;
  keyword?: string;
  area?: { west: number; south: number; east: number; north: number };
}

interface Viewer {
  name: string;
  headers: Record<string, string>;
  /** The naive rule: whether the viewer sees photo `p`, as SQL. */
  sees: string;
  seesCaptureDetails: boolean;
  /** Whether the viewer sees album `a`, as SQL. */
  seesAlbum: string;
}

const toGlobalId = (type: string, publicId: string) => Buffer.from(`${type}:${publicId}`).toString('base64');
const fromGlobalId = (id: string) => Buffer.from(id, 'base64').toString().split(':')[1] as string;

const IN_PUBLIC_ALBUM = `EXISTS (SELECT 1 FROM album_photos m CROSS JOIN albums a ON a.id = m.album_id WHERE m.photo_id = p.id AND a.visibility = 'PUBLIC')`;

/**
 * The statements allowed a sort: the gallery's pages of several albums (each album's page read in
 * order, then sorted by album); a capture-time range listed in another order than capture time,
 * which sorts what the range holds (no index serves a range of one key in the order of another);
 * and a share link's list of albums, which sorts the public albums and its own (albums number in
 * the hundreds where photos number in the hundreds of thousands).
 */
function sortsOnlyPages(source: string): boolean {
  // A search, a keyword or an area sorts what it matches (cost: its matches, never the library).
  if (/MATCH \?|FROM "photo_keywords" WHERE "keyword_id" =|FROM "photos" WHERE "geo_cell" IS NOT NULL/.test(source)) return true;
  // A filtered timeline groups what its filter matches by day (one group per day with photos).
  if (/^SELECT CAST\(strftime\('%s', "photos"\."taken_at" .* GROUP BY 1$/s.test(source.trim())) return true;
  if (/FROM json_each\(\?\) AS "wanted"/.test(source)) return true;
  if (/^SELECT "albums"\."id" AS "id".* FROM "albums"\s+LEFT JOIN photos AS "cover"/s.test(source)) return true;
  return /coalesce\("photos"."taken_at", "photos"."created_at"\) >= \?/.test(source) && !/ORDER BY coalesce/.test(source);
}

describe(`a library of ${PHOTOS.toLocaleString('en')} photos`, () => {
  let server: TestServer;
  let db: Database.Database;
  let statements: CapturedStatement[];
  let stopCapturing: () => void;
  const viewers: Viewer[] = [];
  const albumIds: { big: string; small: string; private: string } = { big: '', small: '', private: '' };

  before(async () => {
    const dataDir = await makeTempDir();
    await seedScaleLibrary(dataDir);
    const sqlite = new Database(path.join(dataDir, 'lightbox.db'));
    try {
      buildScaleLibrary(sqlite, { photos: PHOTOS });
    } finally {
      sqlite.close();
    }
    ({ statements, stop: stopCapturing } = captureStatements());
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_READ_CACHE: 'false' });
    db = new Database(path.join(dataDir, 'lightbox.db'), { readonly: true });
    const publicIdOf = (rowId: number) => (db.prepare('SELECT public_id FROM albums WHERE id = ?').pluck().get(rowId) as string) ?? '';
    // Album row 1 holds half the library; row 3 is an ordinary public album; row 4 is private (see the builder).
    albumIds.big = toGlobalId('Album', publicIdOf(1));
    albumIds.small = toGlobalId('Album', publicIdOf(3));
    albumIds.private = toGlobalId('Album', publicIdOf(4));
    const link = await createShareLinkAsAdmin(server, { albumId: albumIds.private });
    const hidingLink = await createShareLinkAsAdmin(server, { albumId: albumIds.private, showMetadata: false });
    const shared = `(${IN_PUBLIC_ALBUM} OR EXISTS (SELECT 1 FROM album_photos m WHERE m.photo_id = p.id AND m.album_id = 4))`;
    viewers.push(
      { name: 'admin', headers: server.admin, sees: '1', seesCaptureDetails: true, seesAlbum: '1' },
      { name: 'anonymous', headers: {}, sees: IN_PUBLIC_ALBUM, seesCaptureDetails: true, seesAlbum: `a.visibility = 'PUBLIC'` },
      {
        name: 'share',
        headers: { 'x-lightbox-share': link.token },
        sees: shared,
        seesCaptureDetails: true,
        seesAlbum: `(a.visibility = 'PUBLIC' OR a.id = 4)`,
      },
      {
        name: 'share hiding metadata',
        headers: { 'x-lightbox-share': hidingLink.token },
        sees: shared,
        seesCaptureDetails: false,
        seesAlbum: `(a.visibility = 'PUBLIC' OR a.id = 4)`,
      },
    );
  });

  after(async () => {
    stopCapturing();
    db?.close();
    await server?.close();
  });

  const filters = (): { name: string; filter: Filter }[] => [
    { name: 'no filter', filter: {} },
    { name: 'one camera make', filter: { cameraMake: SCALE_MAKES[1] } },
    { name: 'a state', filter: { status: ['READY'] } },
    { name: 'no state', filter: { status: [] } },
    { name: 'a year', filter: { takenAfter: '2020-01-01T00:00:00.000Z', takenBefore: '2021-01-01T00:00:00.000Z' } },
    { name: 'the big album', filter: { albumId: albumIds.big } },
    { name: 'a small album', filter: { albumId: albumIds.small } },
    { name: 'the private album', filter: { albumId: albumIds.private } },
    { name: 'an album and a make', filter: { albumId: albumIds.big, cameraMake: SCALE_MAKES[0] } },
    { name: 'a make and a state', filter: { cameraMake: SCALE_MAKES[2], status: ['READY', 'FAILED'] } },
    { name: 'favourites', filter: { favorite: true } },
    { name: 'three stars or more', filter: { minRating: 3 } },
    { name: 'rated favourites in a state', filter: { favorite: true, minRating: 1, status: ['READY'] } },
    { name: 'a search', filter: { text: 'lisbon tram' } },
    { name: 'a search in an album', filter: { text: 'lisb', albumId: albumIds.big } },
    { name: 'a keyword', filter: { keyword: 'harbour' } },
    { name: 'a keyword and a make', filter: { keyword: 'Harbour', cameraMake: SCALE_MAKES[0] } },
    { name: 'an area', filter: { area: { west: -10, south: 35, east: 30, north: 60 } } },
    { name: 'an area across the antimeridian', filter: { area: { west: 170, south: -30, east: -160, north: 10 } } },
    { name: 'a search in an area', filter: { text: 'lisbon', area: { west: -180, south: -90, east: 180, north: 90 } } },
  ];

  /** The viewer's total and first page by the naive rule, straight from the rows. */
  function expected(viewer: Viewer, filter: Filter, order: PhotoOrder, first: number): { total: number; ids: string[] } {
    const conditions = [viewer.sees];
    const params: unknown[] = [];
    if (filter.cameraMake !== undefined) {
      conditions.push(viewer.seesCaptureDetails ? 'p.camera_make = ?' : '0');
      params.push(...(viewer.seesCaptureDetails ? [filter.cameraMake] : []));
    }
    if (filter.favorite !== undefined) conditions.push(viewer.name === 'admin' ? 'p.favorite = 1' : '0');
    if (filter.minRating !== undefined) {
      conditions.push(viewer.name === 'admin' ? 'p.rating >= ?' : '0');
      params.push(...(viewer.name === 'admin' ? [filter.minRating] : []));
    }
    // The builder gives fifty photos "Lisbon tram" in their title and fifty the keyword Harbour, nothing else those words.
    if (filter.text !== undefined) conditions.push(`p.title LIKE '% Lisbon tram'`);
    if (filter.keyword !== undefined) {
      conditions.push(
        viewer.seesCaptureDetails ? 'EXISTS (SELECT 1 FROM photo_keywords k WHERE k.photo_id = p.id AND k.keyword_id = 1)' : '0',
      );
    }
    if (filter.area !== undefined) {
      const { west, south, east, north } = filter.area;
      const longitude = west <= east ? `p.longitude BETWEEN ${west} AND ${east}` : `(p.longitude >= ${west} OR p.longitude <= ${east})`;
      conditions.push(viewer.name === 'admin' ? `p.latitude BETWEEN ${south} AND ${north} AND ${longitude}` : '0');
    }
    if (filter.status !== undefined) {
      conditions.push(`p.status IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(filter.status));
    }
    if (filter.takenAfter !== undefined) {
      conditions.push(viewer.seesCaptureDetails ? 'p.taken_at >= ? AND p.taken_at < ?' : '0');
      params.push(...(viewer.seesCaptureDetails ? [Date.parse(filter.takenAfter), Date.parse(filter.takenBefore as string)] : []));
    }
    if (filter.albumId !== undefined) {
      conditions.push(
        `EXISTS (SELECT 1 FROM album_photos m JOIN albums a ON a.id = m.album_id WHERE m.photo_id = p.id AND a.public_id = ? AND ${viewer.seesAlbum})`,
      );
      params.push(fromGlobalId(filter.albumId));
    }
    const taken = viewer.seesCaptureDetails ? 'coalesce(p.taken_at, p.created_at)' : 'p.created_at';
    const orderBy = {
      CREATED_AT_DESC: 'p.created_at DESC, p.id DESC',
      CREATED_AT_ASC: 'p.created_at, p.id',
      TAKEN_AT_DESC: `${taken} DESC, p.id DESC`,
      TAKEN_AT_ASC: `${taken}, p.id`,
      TITLE_ASC: 'p.title, p.id',
      TITLE_DESC: 'p.title DESC, p.id DESC',
    }[order];
    const where = conditions.join(' AND ');
    const total = db
      .prepare(`SELECT count(*) FROM photos p WHERE ${where}`)
      .pluck()
      .get(...params) as number;
    const ids = db
      .prepare(`SELECT public_id FROM photos p WHERE ${where} ORDER BY ${orderBy} LIMIT ${first}`)
      .pluck()
      .all(...params) as string[];
    return { total, ids: ids.map((id) => toGlobalId('Photo', id)) };
  }

  async function listed(viewer: Viewer, variables: { first: number; after?: string | null; filter?: Filter; orderBy: PhotoOrder }) {
    return dataOf(await postGraphQL(server.url, ScalePhotos, variables, viewer.headers)).photos;
  }

  /** Every viewer × filter's total and first page (in the default order), as the API answers and as the naive rule says. */
  async function assertTotalsAndPagesAgree(): Promise<void> {
    for (const viewer of viewers) {
      for (const { name, filter } of filters()) {
        const answer = await listed(viewer, { first: 20, filter, orderBy: 'CREATED_AT_DESC' });
        const want = expected(viewer, filter, 'CREATED_AT_DESC', 20);
        assert.equal(answer.totalCount, want.total, `${viewer.name}, ${name}: totalCount`);
        assert.deepEqual(
          answer.nodes.map((node) => node.id),
          want.ids,
          `${viewer.name}, ${name}: the first page`,
        );
      }
    }
  }

  /** Every viewer × filter's monthly timeline adds up to the list's total, and its newest month holds what the list of that month does. */
  async function assertTimelinesAgree(): Promise<void> {
    for (const viewer of viewers) {
      for (const { name, filter } of filters()) {
        const buckets = dataOf(await postGraphQL(server.url, ScaleTimeline, { filter }, viewer.headers)).timeline;
        const want = expected(viewer, filter, 'CREATED_AT_DESC', 0);
        assert.equal(
          buckets.reduce((sum, bucket) => sum + bucket.count, 0),
          want.total,
          `${viewer.name}, ${name}: the timeline adds up`,
        );
        const newest = buckets[0];
        if (newest?.start === null || newest === undefined || filter.takenAfter !== undefined) continue;
        const end = new Date(newest.start);
        end.setUTCMonth(end.getUTCMonth() + 1);
        const month = expected(viewer, { ...filter, takenAfter: newest.start, takenBefore: end.toISOString() }, 'CREATED_AT_DESC', 0);
        assert.equal(newest.count, month.total, `${viewer.name}, ${name}: the newest month`);
      }
    }
  }

  it('counts every total and reads every first page as the visibility rule says, for every viewer and filter', async () => {
    await assertTotalsAndPagesAgree();
  });

  it('counts every timeline as the visibility rule says, for every viewer and filter', async () => {
    await assertTimelinesAgree();
  });

  it('orders and pages every order for every viewer as the rule says, from the first page and from deep in the library', async () => {
    for (const viewer of viewers) {
      for (const order of ORDERS) {
        for (const { name, filter } of [
          { name: 'no filter', filter: {} },
          { name: 'the big album', filter: { albumId: albumIds.big } },
        ]) {
          const want = expected(viewer, filter, order, 1_050);
          const first = await listed(viewer, { first: 50, filter, orderBy: order });
          assert.deepEqual(
            first.nodes.map((node) => node.id),
            want.ids.slice(0, 50),
            `${viewer.name}, ${order}, ${name}: page 1`,
          );
          // A deep page: 1,000 photos in, from the cursor of the page before it.
          let after = first.pageInfo.endCursor;
          for (let page = 1; page < 20; page++) {
            after = dataOf(await postGraphQL(server.url, ScalePhotos, { first: 50, after, filter, orderBy: order }, viewer.headers)).photos
              .pageInfo.endCursor;
          }
          const deep = dataOf(
            await postGraphQL(server.url, ScalePhotos, { first: 50, after, filter, orderBy: order }, viewer.headers),
          ).photos;
          assert.deepEqual(
            deep.nodes.map((node) => node.id),
            want.ids.slice(1_000, 1_050),
            `${viewer.name}, ${order}, ${name}: the page after #1,000`,
          );
        }
      }
    }
  });

  it('runs no statement that scans photos or album_photos, or sorts more than a page', async () => {
    statements.length = 0;
    for (const viewer of viewers) {
      for (const { filter } of filters()) for (const order of ORDERS) await listed(viewer, { first: 50, filter, orderBy: order });
      for (const { filter } of filters()) dataOf(await postGraphQL(server.url, ScaleTimeline, { filter }, viewer.headers));
      for (const orderBy of ['LATEST_PHOTO_DESC', 'CREATED_AT_DESC', 'UPDATED_AT_DESC', 'TITLE_ASC'] as const) {
        dataOf(await postGraphQL(server.url, ScaleAlbums, { orderBy }, viewer.headers));
      }
      // Deep pages, from a cursor 1,000 photos in, in every order.
      for (const order of ORDERS) {
        let after: string | null | undefined;
        for (let page = 0; page < 21; page++) after = (await listed(viewer, { first: 50, after, orderBy: order })).pageInfo.endCursor;
      }
      const someIds = (await listed(viewer, { first: 3, orderBy: 'TITLE_ASC' })).nodes.map((node) => node.id);
      dataOf(await postGraphQL(server.url, ScaleNodes, { ids: [...someIds, albumIds.big] }, viewer.headers));
      dataOf(await postGraphQL(server.url, ScaleNode, { id: someIds[0] as string }, viewer.headers));
      const album = dataOf(await postGraphQL(server.url, ScaleAlbumPage, { id: albumIds.big }, viewer.headers)).album;
      dataOf(await postGraphQL(server.url, ScaleAlbumPage, { id: albumIds.big, after: album?.photos.pageInfo.endCursor }, viewer.headers));
    }
    // The same pages of the big album in the owner's arrangement (MANUAL), and then by capture time again.
    for (const photoOrder of ['MANUAL', 'TAKEN_AT'] as const) {
      dataOf(await postGraphQL(server.url, ScaleChanges.updateAlbum, { input: { id: albumIds.big, photoOrder } }, server.admin));
      for (const viewer of viewers) {
        const album = dataOf(await postGraphQL(server.url, ScaleAlbumPage, { id: albumIds.big }, viewer.headers)).album;
        dataOf(
          await postGraphQL(server.url, ScaleAlbumPage, { id: albumIds.big, after: album?.photos.pageInfo.endCursor }, viewer.headers),
        );
      }
    }
    const shapes = new Map<string, CapturedStatement>();
    for (const statement of statements) {
      if (statement.database !== db && /^\s*(SELECT|WITH)/i.test(statement.source)) shapes.set(statement.source, statement);
    }
    assert.ok(shapes.size >= 30, `only ${shapes.size} statement shapes were seen`);
    const problems: string[] = [];
    for (const statement of shapes.values()) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(...statement.params) as { detail: string }[]).map(
        (row) => row.detail,
      );
      // An index walked in order with nothing to filter reads exactly its LIMIT: the admin's first page in each order.
      const unfiltered = /WHERE 1\s+ORDER BY [^()]+ LIMIT \?$/.test(statement.source.trim());
      // A partial index holds only the favourites: walking it reads what the filter matches, at most.
      const scans = plan.filter(
        (detail) =>
          /^SCAN (photos|album_photos|member|cover|first)\b/.test(detail) && !unfiltered && !/ INDEX photos_favorite_/.test(detail),
      );
      const sorts = plan.filter((detail) => detail.includes('TEMP B-TREE') && !sortsOnlyPages(statement.source));
      if (scans.length > 0 || sorts.length > 0)
        problems.push(`${statement.source.replace(/\s+/g, ' ').slice(0, 300)}\n    ${plan.join('\n    ')}`);
    }
    assert.deepEqual(problems, [], `statements that read more than they answer:\n${problems.join('\n')}`);
  });

  it('keeps who sees what, album sizes and totals right through every kind of change, and the API agrees with the rule after them', async () => {
    const photoIds = (
      db.prepare('SELECT public_id FROM photos WHERE id IN (2, 3, 5, 8, 13, 21, 34, 55) ORDER BY id').pluck().all() as string[]
    ).map((id) => toGlobalId('Photo', id));
    const ok = async <T>(result: Promise<{ body: { data?: T | null } }>) => assert.ok((await result).body.data, 'the change was made');
    const admin = server.admin;
    await ok(postGraphQL(server.url, ScaleChanges.updateAlbum, { input: { id: albumIds.small, visibility: 'PRIVATE' } }, admin));
    await ok(postGraphQL(server.url, ScaleChanges.addPhotos, { albumId: albumIds.private, photoIds }, admin));
    await ok(postGraphQL(server.url, ScaleChanges.removePhotos, { albumId: albumIds.big, photoIds: photoIds.slice(0, 4) }, admin));
    await ok(postGraphQL(server.url, ScaleChanges.updateAlbum, { input: { id: albumIds.private, visibility: 'PUBLIC' } }, admin));
    await ok(postGraphQL(server.url, ScaleChanges.deletePhoto, { id: photoIds[5] as string }, admin));
    await ok(postGraphQL(server.url, ScaleChanges.updatePhoto, { input: { id: photoIds[6] as string, title: 'Aardvark' } }, admin));
    const third = toGlobalId('Album', db.prepare('SELECT public_id FROM albums WHERE id = 6').pluck().get() as string);
    await ok(postGraphQL(server.url, ScaleChanges.deleteAlbum, { id: third }, admin));
    await ok(postGraphQL(server.url, ScaleChanges.updateAlbum, { input: { id: albumIds.private, visibility: 'PRIVATE' } }, admin));

    const drift = (query: string) => db.prepare(query).all();
    assert.deepEqual(drift(`SELECT id FROM photos p WHERE in_public_album IS NOT ${IN_PUBLIC_ALBUM}`), [], 'in_public_album');
    assert.deepEqual(
      drift('SELECT id FROM albums a WHERE photo_count <> (SELECT count(*) FROM album_photos WHERE album_id = a.id)'),
      [],
      'photo_count',
    );
    assert.deepEqual(
      drift(`SELECT id FROM albums a
              WHERE latest_taken_sort <> coalesce((SELECT max(photo_taken_sort) FROM album_photos WHERE album_id = a.id), 0)`),
      [],
      'latest_taken_sort',
    );
    assert.deepEqual(
      drift(`SELECT m.album_id, m.photo_id FROM album_photos m JOIN photos p ON p.id = m.photo_id
              WHERE m.photo_title IS NOT p.title OR m.photo_created_at IS NOT p.created_at OR m.photo_taken_sort IS NOT coalesce(p.taken_at, p.created_at)`),
      [],
      "album_photos' copies of the sort keys",
    );
    const tallies = `SELECT 'all' AS audience, '' AS facet, '' AS value, count(*) AS photos FROM photos
      UNION ALL SELECT 'all', 'status', status, count(*) FROM photos GROUP BY status
      UNION ALL SELECT 'all', 'make', camera_make, count(*) FROM photos WHERE camera_make IS NOT NULL GROUP BY camera_make
      UNION ALL SELECT 'public', '', '', count(*) FROM photos p WHERE ${IN_PUBLIC_ALBUM}
      UNION ALL SELECT 'public', 'status', status, count(*) FROM photos p WHERE ${IN_PUBLIC_ALBUM} GROUP BY status
      UNION ALL SELECT 'public', 'make', camera_make, count(*) FROM photos p WHERE ${IN_PUBLIC_ALBUM} AND camera_make IS NOT NULL GROUP BY camera_make`;
    assert.deepEqual(
      drift(`SELECT audience, facet, value, photos FROM photo_tallies WHERE photos <> 0 ORDER BY 1, 2, 3`),
      drift(`SELECT * FROM (${tallies}) WHERE photos <> 0 ORDER BY 1, 2, 3`),
      'photo_tallies',
    );
    const bucketed = (size: string, modifier: string) => {
      const start = `CAST(strftime('%s', taken_at / 1000.0, 'unixepoch', '${modifier}') AS INTEGER) * 1000`;
      return `SELECT 'all' AS audience, '${size}' AS size, ${start} AS start, count(*) AS photos FROM photos WHERE taken_at IS NOT NULL GROUP BY 3
        UNION ALL SELECT 'public', '${size}', ${start}, count(*) FROM photos p WHERE taken_at IS NOT NULL AND ${IN_PUBLIC_ALBUM} GROUP BY 3`;
    };
    const buckets = [bucketed('DAY', 'start of day'), bucketed('MONTH', 'start of month'), bucketed('YEAR', 'start of year')].join(
      ' UNION ALL ',
    );
    assert.deepEqual(
      drift('SELECT audience, size, start, photos FROM photo_timeline WHERE photos <> 0 ORDER BY 1, 2, 3'),
      drift(`SELECT * FROM (${buckets}) ORDER BY 1, 2, 3`),
      'photo_timeline',
    );
    assert.deepEqual(
      drift(`SELECT p.id FROM photos p LEFT JOIN photo_search s ON s.rowid = p.id
              WHERE s.rowid IS NULL OR s.title IS NOT p.title
                 OR s.albums IS NOT coalesce((SELECT group_concat(a.title, ' ') FROM album_photos m JOIN albums a ON a.id = m.album_id WHERE m.photo_id = p.id), '')
             UNION ALL SELECT rowid FROM photo_search WHERE rowid NOT IN (SELECT id FROM photos)`),
      [],
      'photo_search',
    );
    assert.deepEqual(
      drift('SELECT level, cell, photos FROM photo_cells WHERE photos <> 0 ORDER BY 1, 2'),
      drift(`SELECT level, geo_cell >> (2 * (12 - level)) AS cell, count(*) AS photos FROM photos CROSS JOIN map_levels
              WHERE geo_cell IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`),
      'photo_cells',
    );
    await assertTotalsAndPagesAgree();
    await assertTimelinesAgree();
  });
});
