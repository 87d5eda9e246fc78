import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { encodeGlobalID } from '@pothos/plugin-relay';
import Database from 'better-sqlite3';
import exifr from 'exifr';
import { request } from 'undici';
import { cursorKeys, openCursor } from '../src/auth/cursor-sealing.ts';
import { newPublicId } from '../src/ids.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { subscribe } from './helpers/events.ts';
import { dataOf, fromResponseCache, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

const run = promisify(execFile);

/**
 * catalog/access.ts as a table: every kind of viewer × album visibility × photo membership,
 * read through every path a client has (lists, counts, lookups, relations, filters, images,
 * subscriptions).
 */
const TABLE = {
  albums: { Open: 'PUBLIC', Closed: 'PRIVATE' },
  photos: {
    inPublic: { file: 'gps/DSCN0010.jpg', albums: ['Open'] },
    inPrivate: { file: 'gps/DSCN0021.jpg', albums: ['Closed'] },
    inBoth: { file: 'gps/DSCN0040.jpg', albums: ['Open', 'Closed'] },
    inNone: { file: 'cameras/canon-ixus.jpg', albums: [] },
  },
} as const;

type Viewer = 'admin' | 'anonymous';
type PhotoName = keyof typeof TABLE.photos;
type AlbumName = keyof typeof TABLE.albums;

const SEES_PHOTO: Record<Viewer, Record<PhotoName, boolean>> = {
  admin: { inPublic: true, inPrivate: true, inBoth: true, inNone: true },
  anonymous: { inPublic: true, inPrivate: false, inBoth: true, inNone: false },
};
const SEES_ALBUM: Record<Viewer, Record<AlbumName, boolean>> = {
  admin: { Open: true, Closed: true },
  anonymous: { Open: true, Closed: false },
};

const Everything = graphql(`
  query AccessEverything {
    photos(first: 10) {
      totalCount
      nodes {
        id
        albums {
          id
        }
        original: image(variant: ORIGINAL) {
          url
        }
      }
    }
    albums(first: 5) {
      totalCount
      nodes {
        id
        photoCount
        cover {
          id
        }
        photos(first: 10) {
          totalCount
          nodes {
            id
          }
        }
      }
    }
  }
`);

const Lookups = graphql(`
  query AccessLookups($photo: ID!, $ids: [ID!]!) {
    photo(id: $photo) {
      id
    }
    node(id: $photo) {
      id
    }
    nodes(ids: $ids) {
      id
    }
  }
`);

const AlbumLookups = graphql(`
  query AccessAlbumLookups($album: ID!) {
    album(id: $album) {
      id
    }
    node(id: $album) {
      id
    }
    photos(first: 100, filter: { albumId: $album }) {
      totalCount
      nodes {
        id
      }
    }
  }
`);

const AccessChanges = graphql(`
  subscription AccessChanges {
    libraryChanged {
      photos {
        id
        title
      }
      removedPhotoIds
      albums {
        id
      }
      removedAlbumIds
    }
  }
`);

const AccessRetitle = graphql(`
  mutation AccessRetitle($input: UpdatePhotoInput!) {
    updatePhoto(input: $input) {
      __typename
    }
  }
`);

const AccessRedescribe = graphql(`
  mutation AccessRedescribe($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
    }
  }
`);

describe('access: viewer × album visibility × photo membership', () => {
  let server: TestServer;
  const photoIds = {} as Record<PhotoName, string>;
  const albumIds = {} as Record<AlbumName, string>;
  const photoNames = Object.keys(TABLE.photos) as PhotoName[];
  const albumNames = Object.keys(TABLE.albums) as AlbumName[];
  const missingPhoto = encodeGlobalID('Photo', newPublicId());

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    const plan = {
      albums: TABLE.albums,
      photos: Object.fromEntries(
        Object.entries(TABLE.photos).map(([name, entry]) => [
          name,
          { file: path.join(FIXTURE_PHOTOS, entry.file), albums: [...entry.albums] },
        ]),
      ),
    };
    const built = await buildLibrary(server.dataDir, plan);
    for (const name of photoNames) photoIds[name] = encodeGlobalID('Photo', built.photos[name] as string);
    for (const name of albumNames) albumIds[name] = encodeGlobalID('Album', built.albums[name] as string);
  });

  after(() => server.close());

  const headersOf = (viewer: Viewer) => (viewer === 'admin' ? server.admin : {});
  const expectedPhotos = (viewer: Viewer) => photoNames.filter((name) => SEES_PHOTO[viewer][name]).map((name) => photoIds[name]);
  const expectedAlbums = (viewer: Viewer) => albumNames.filter((name) => SEES_ALBUM[viewer][name]).map((name) => albumIds[name]);
  const sorted = (ids: readonly string[]) => [...ids].sort();

  for (const viewer of ['admin', 'anonymous'] as const) {
    it(`${viewer}: lists, counts, relations and covers agree with the table, and so does the response cache`, async () => {
      const first = await postGraphQL(server.url, Everything, {}, headersOf(viewer));
      // The same query again: anonymous answers come from the response cache (no SQL), the admin's never do,
      // and the admin's answer (asked first) is never what an anonymous caller is served.
      const again = await postGraphQL(server.url, Everything, {}, headersOf(viewer));
      assert.deepEqual(again.body, first.body, 'the cached answer is the answer');
      assert.equal(
        fromResponseCache(again.headers),
        viewer === 'anonymous',
        "anonymous answers come from the response cache, never the admin's",
      );
      const data = dataOf(again);
      assert.deepEqual(sorted(data.photos.nodes.map((photo) => photo.id)), sorted(expectedPhotos(viewer)), 'Query.photos');
      assert.equal(data.photos.totalCount, expectedPhotos(viewer).length, 'Query.photos totalCount');
      assert.deepEqual(sorted(data.albums.nodes.map((album) => album.id)), sorted(expectedAlbums(viewer)), 'Query.albums');
      assert.equal(data.albums.totalCount, expectedAlbums(viewer).length, 'Query.albums totalCount');
      for (const photo of data.photos.nodes) {
        const name = photoNames.find((candidate) => photoIds[candidate] === photo.id) as PhotoName;
        const visibleAlbums = TABLE.photos[name].albums.filter((album) => SEES_ALBUM[viewer][album]).map((album) => albumIds[album]);
        assert.deepEqual(sorted(photo.albums.map((album) => album.id)), sorted(visibleAlbums), `${name}.albums`);
      }
      for (const album of data.albums.nodes) {
        const name = albumNames.find((candidate) => albumIds[candidate] === album.id) as AlbumName;
        const members = photoNames.filter((photo) => (TABLE.photos[photo].albums as readonly string[]).includes(name));
        // A viewer who may see an album sees all of it: its photos are visible to them through it.
        assert.deepEqual(
          sorted(album.photos.nodes.map((photo) => photo.id)),
          sorted(members.map((photo) => photoIds[photo])),
          `${name}.photos`,
        );
        assert.equal(album.photos.totalCount, members.length, `${name}.photos.totalCount`);
        assert.equal(album.photoCount, members.length, `${name}.photoCount`);
        assert.ok(album.cover === null || members.some((photo) => photoIds[photo] === album.cover?.id), `${name}.cover is a member`);
      }
    });

    for (const name of photoNames) {
      const visible = SEES_PHOTO[viewer][name];
      it(`${viewer} × ${name}: photo, node, nodes and the image route ${visible ? 'show it' : 'answer as for a missing photo'}`, async () => {
        const id = photoIds[name];
        const data = dataOf(await postGraphQL(server.url, Lookups, { photo: id, ids: [id, missingPhoto] }, headersOf(viewer)));
        assert.equal(data.photo?.id ?? null, visible ? id : null, 'Query.photo');
        assert.equal(data.node?.id ?? null, visible ? id : null, 'Query.node');
        assert.equal(data.nodes[0]?.id ?? null, visible ? id : null, 'Query.nodes');
        assert.equal(data.nodes[1], null, 'an id that never existed is null in place, the others intact');

        const publicId = (id && Buffer.from(id, 'base64').toString('utf8').split(':')[1]) as string;
        const unsigned = await request(`${server.url}/images/${publicId}/original.jpg`);
        const body = await unsigned.body.text();
        const publicPhoto = SEES_PHOTO.anonymous[name];
        assert.equal(unsigned.statusCode, publicPhoto ? 200 : 404, 'an unsigned image URL works only for photos anyone may see');
        if (!publicPhoto) {
          const missing = await request(`${server.url}/images/${newPublicId()}/original.jpg`);
          assert.equal(body, await missing.body.text(), 'a hidden photo reads exactly like a missing one');
          assert.equal(unsigned.headers['cache-control'], missing.headers['cache-control']);
          assert.equal(unsigned.headers['content-length'], missing.headers['content-length']);
        }
      });
    }

    for (const name of albumNames) {
      const visible = SEES_ALBUM[viewer][name];
      it(`${viewer} × album ${name}: album, node and the album filter ${visible ? 'show it' : 'answer as for a missing album'}`, async () => {
        const id = albumIds[name];
        const data = dataOf(await postGraphQL(server.url, AlbumLookups, { album: id }, headersOf(viewer)));
        assert.equal(data.album?.id ?? null, visible ? id : null, 'Query.album');
        assert.equal(data.node?.id ?? null, visible ? id : null, 'Query.node');
        const members = photoNames.filter((photo) => (TABLE.photos[photo].albums as readonly string[]).includes(name));
        assert.deepEqual(
          sorted(data.photos.nodes.map((photo) => photo.id)),
          visible ? sorted(members.map((photo) => photoIds[photo])) : [],
        );
      });
    }
  }

  it('a subscription tells each viewer of changes to exactly what the table shows it, and of nothing else', async () => {
    const streams = {
      admin: await subscribe(server.url, AccessChanges, undefined, server.admin),
      anonymous: await subscribe(server.url, AccessChanges),
    };
    try {
      for (const name of photoNames) {
        await postGraphQL(server.url, AccessRetitle, { input: { id: photoIds[name], title: `${name}, again` } }, server.admin);
      }
      for (const name of albumNames) {
        await postGraphQL(server.url, AccessRedescribe, { input: { id: albumIds[name], description: `${name}, again` } }, server.admin);
      }
      // Last, a change every viewer sees: once it has arrived, so has everything before it.
      const last = 'the last change';
      await postGraphQL(server.url, AccessRetitle, { input: { id: photoIds.inPublic, title: last } }, server.admin);
      for (const viewer of ['admin', 'anonymous'] as const) {
        const photos = new Set<string>();
        const albums = new Set<string>();
        for (let done = false; !done; ) {
          const event = await streams[viewer].next();
          const change = dataOf({ status: 200, headers: {}, body: event }).libraryChanged;
          for (const photo of change.photos) photos.add(photo.id);
          for (const album of change.albums) albums.add(album.id);
          assert.deepEqual([change.removedPhotoIds, change.removedAlbumIds], [[], []], `${viewer} heard of a removal`);
          done = change.photos.some((photo) => photo.title === last);
        }
        assert.deepEqual(sorted([...photos]), sorted(expectedPhotos(viewer)), `${viewer}: photos`);
        assert.deepEqual(sorted([...albums]), sorted(expectedAlbums(viewer)), `${viewer}: albums`);
      }
    } finally {
      for (const stream of Object.values(streams)) stream.close();
    }
  });

  it('nodes(ids) mixing visible, hidden and unknown ids answers in place and logs no error', async () => {
    const ids = [...photoNames.map((name) => photoIds[name]), missingPhoto, encodeGlobalID('Album', newPublicId())];
    for (const viewer of ['admin', 'anonymous'] as const) {
      const data = dataOf(await postGraphQL(server.url, Lookups, { photo: missingPhoto, ids }, headersOf(viewer)));
      assert.equal(data.photo, null);
      assert.equal(data.node, null);
      assert.deepEqual(
        data.nodes.map((node) => node?.id ?? null),
        [...photoNames.map((name) => (SEES_PHOTO[viewer][name] ? photoIds[name] : null)), null, null],
        viewer,
      );
    }
    assert.deepEqual(
      server.logs.filter((line) => line.level >= 50),
      [],
      'nothing at error level',
    );
  });

  /** Who receives the uploaded bytes of ORIGINAL; everyone else gets the same image without metadata. */
  const RECEIVES_UNTOUCHED_ORIGINAL: Record<Viewer, boolean> = { admin: true, anonymous: false };

  for (const viewer of ['admin', 'anonymous'] as const) {
    const untouched = RECEIVES_UNTOUCHED_ORIGINAL[viewer];
    it(`${viewer} × ORIGINAL of every photo it sees: ${untouched ? 'the uploaded bytes' : 'never the uploaded bytes, never GPS'}`, async () => {
      const data = dataOf(await postGraphQL(server.url, Everything, {}, headersOf(viewer)));
      assert.equal(data.photos.nodes.length, expectedPhotos(viewer).length);
      for (const photo of data.photos.nodes) {
        const name = photoNames.find((candidate) => photoIds[candidate] === photo.id) as PhotoName;
        const uploaded = await readFile(path.join(FIXTURE_PHOTOS, TABLE.photos[name].file));
        const response = await request(`${server.url}${photo.original.url}`);
        const bytes = Buffer.from(await response.body.arrayBuffer());
        assert.equal(response.statusCode, 200, `${viewer} × ${name}`);
        assert.equal(bytes.equals(uploaded), untouched, `${viewer} × ${name}: uploaded bytes`);
        if (!untouched) assert.equal(await exifr.gps(bytes).catch(() => undefined), undefined, `${viewer} × ${name}: no GPS`);
      }
    });
  }

  it('every image URL GraphQL hands a viewer loads for that viewer', async () => {
    for (const viewer of ['admin', 'anonymous'] as const) {
      const data = dataOf(await postGraphQL(server.url, Everything, {}, headersOf(viewer)));
      for (const photo of data.photos.nodes) {
        const response = await request(`${server.url}${photo.original.url}`);
        await response.body.dump();
        assert.equal(response.statusCode, 200, `${viewer}: ${photo.original.url}`);
      }
    }
  });
});

describe('debug logs never carry a signature', () => {
  it('an image request with a signed URL is logged with its signature redacted', async () => {
    const server = await startTestServer({ LOG_LEVEL: 'debug' });
    try {
      const built = await buildLibrary(server.dataDir, {
        albums: { Closed: 'PRIVATE' },
        photos: { hidden: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Closed'] } },
      });
      const id = encodeGlobalID('Photo', built.photos.hidden as string);
      const data = dataOf(await postGraphQL(server.url, Lookups, { photo: id, ids: [] }, server.admin));
      assert.ok(data.photo);
      const everything = dataOf(await postGraphQL(server.url, Everything, {}, server.admin));
      const url = everything.photos.nodes[0]?.original.url ?? '';
      const sig = new URL(url, server.url).searchParams.get('sig');
      assert.ok(sig, 'a signed URL');
      const response = await request(`${server.url}${url}`);
      await response.body.dump();
      assert.equal(response.statusCode, 200);
      const logged = JSON.stringify(server.logs);
      assert.match(logged, /image request/);
      assert.match(logged, /sig=\[redacted\]/);
      assert.ok(!logged.includes(sig), 'the signature itself is nowhere in the log');
    } finally {
      await server.close();
    }
  });
});

/**
 * What a field, a filter, an order and a cursor read, as a table: viewer × field. A field the
 * viewer cannot read acts, in every filter and order over it, as if no photo had it (which is
 * how the field itself reads), so no count, order or cursor tells what the field hides.
 * The photos are ingested in this order, so creation order is not capture order.
 */
const FIELD_TABLE = {
  albums: { Shared: 'PRIVATE', Open: 'PUBLIC' },
  photos: {
    nikonShared: { file: 'gps/DSCN0010.jpg', albums: ['Shared'], taken: '2008-10-22T16:28:39Z', make: 'NIKON', gps: true },
    kodakShared: {
      file: 'cameras/kodak-dc240.jpg',
      albums: ['Shared'],
      taken: '1999-05-25T21:00:09Z',
      make: 'EASTMAN KODAK COMPANY',
      gps: false,
    },
    canonShared: { file: 'cameras/canon-ixus.jpg', albums: ['Shared'], taken: '2001-06-09T15:17:32Z', make: 'Canon', gps: false },
    nikonOpen: { file: 'gps/DSCN0021.jpg', albums: ['Open'], taken: '2008-10-22T16:38:20Z', make: 'NIKON', gps: true },
  },
} as const;

type FieldViewer = 'admin' | 'anonymous' | 'shareShowing' | 'shareHiding';
type FieldPhoto = keyof typeof FIELD_TABLE.photos;
const FIELD_PHOTOS = Object.keys(FIELD_TABLE.photos) as FieldPhoto[];

/** shareShowing: a link to Shared made with showMetadata and showLocation; shareHiding: with neither. */
const FIELD_VIEWER_SEES: Record<FieldViewer, (photo: FieldPhoto) => boolean> = {
  admin: () => true,
  anonymous: (photo) => (FIELD_TABLE.photos[photo].albums as readonly string[]).includes('Open'),
  shareShowing: () => true,
  shareHiding: () => true,
};

/** Whether the viewer reads the field of a photo it sees. */
const READS_FIELD: Record<
  FieldViewer,
  Record<'captureDetails' | 'location' | 'originalFacts' | 'curation', (photo: FieldPhoto) => boolean>
> = {
  admin: { captureDetails: () => true, location: () => true, originalFacts: () => true, curation: () => true },
  anonymous: { captureDetails: () => true, location: () => false, originalFacts: () => false, curation: () => false },
  // Location only for the photos of the link's album.
  shareShowing: {
    captureDetails: () => true,
    location: (photo) => (FIELD_TABLE.photos[photo].albums as readonly string[]).includes('Shared'),
    originalFacts: () => false,
    curation: () => false,
  },
  shareHiding: { captureDetails: () => false, location: () => false, originalFacts: () => false, curation: () => false },
};

const FieldsQuery = graphql(`
  query AccessFields {
    photos(first: 10) {
      nodes {
        id
        takenAt
        camera {
          make
        }
        exposure {
          fNumber
        }
        location {
          latitude
        }
        contentHash
        byteSize
        favorite
        rating
      }
    }
  }
`);

const FieldTimeline = graphql(`
  query AccessFieldTimeline($filter: PhotoFilter) {
    timeline(bucket: DAY, filter: $filter) {
      start
      count
    }
  }
`);

const FieldCurate = graphql(`
  mutation AccessFieldCurate($input: UpdatePhotosInput!) {
    updatePhotos(input: $input) {
      __typename
    }
  }
`);

const FilteredQuery = graphql(`
  query AccessFiltered($filter: PhotoFilter, $order: PhotoOrder, $first: Int, $after: String) {
    photos(first: $first, after: $after, filter: $filter, orderBy: $order) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
      }
    }
  }
`);

const FieldFindings = graphql(`
  query AccessFieldFindings {
    photos(first: 10) {
      nodes {
        id
        keywords
        place {
          name
        }
      }
    }
    photoClusters(bbox: { west: -180, south: -90, east: 180, north: 90 }, zoom: 0) {
      count
    }
  }
`);

const FieldDownload = graphql(`
  query AccessFieldDownload($id: ID!) {
    album(id: $id) {
      download {
        url
      }
    }
  }
`);

/**
 * viewer × album → what Album.download gives (access.ts downloadFor): the uploaded files, the
 * public copies, or nothing. shareOriginals is a link to Shared made with allowOriginals.
 */
const DOWNLOADS: Record<FieldViewer | 'shareOriginals', Record<'Shared' | 'Open', 'untouched' | 'copies' | null>> = {
  admin: { Shared: 'untouched', Open: 'untouched' },
  anonymous: { Shared: null, Open: null },
  shareShowing: { Shared: null, Open: null },
  shareHiding: { Shared: null, Open: null },
  shareOriginals: { Shared: 'copies', Open: null },
};

const SharePage = graphql(`
  query AccessSharePage {
    sharedAlbum {
      photos(first: 10) {
        nodes {
          id
        }
      }
    }
  }
`);

describe('access: viewer × field, through fields, filters, orders and cursors', () => {
  const secret = randomBytes(32).toString('base64url');
  let server: TestServer;
  const photoIds = {} as Record<FieldPhoto, string>;
  const headers = {} as Record<FieldViewer, Record<string, string>>;
  let sharedAlbumId = '';
  let openAlbumId = '';
  let originalsHeaders: Record<string, string> = {};
  let hidingLink = '';
  /** Row id, creation time and capture time (ms) of each photo, as stored. */
  const stored = {} as Record<FieldPhoto, { id: number; createdAt: number; takenAt: number }>;

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn', LIGHTBOX_SECRET: secret });
    const built = await buildLibrary(server.dataDir, {
      albums: FIELD_TABLE.albums,
      photos: Object.fromEntries(
        Object.entries(FIELD_TABLE.photos).map(([name, entry]) => [
          name,
          { file: path.join(FIXTURE_PHOTOS, entry.file), albums: [...entry.albums] },
        ]),
      ),
    });
    for (const name of FIELD_PHOTOS) photoIds[name] = encodeGlobalID('Photo', built.photos[name] as string);
    sharedAlbumId = encodeGlobalID('Album', built.albums.Shared as string);
    openAlbumId = encodeGlobalID('Album', built.albums.Open as string);
    originalsHeaders = {
      'x-lightbox-share': (await createShareLinkAsAdmin(server, { albumId: sharedAlbumId, allowOriginals: true })).token,
    };
    const showing = await createShareLinkAsAdmin(server, { albumId: sharedAlbumId, showMetadata: true, showLocation: true });
    const hiding = await createShareLinkAsAdmin(server, { albumId: sharedAlbumId, showMetadata: false, showLocation: false });
    hidingLink = hiding.url;
    headers.admin = server.admin;
    headers.anonymous = {};
    headers.shareShowing = { 'x-lightbox-share': showing.token };
    headers.shareHiding = { 'x-lightbox-share': hiding.token };
    const db = new Database(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    const rows = db.prepare('SELECT id, title, created_at AS createdAt, taken_at AS takenAt FROM photos').all() as {
      id: number;
      title: FieldPhoto;
      createdAt: number;
      takenAt: number;
    }[];
    db.close();
    for (const row of rows) stored[row.title] = row;
  });

  after(() => server.close());

  const seen = (viewer: FieldViewer) => FIELD_PHOTOS.filter((photo) => FIELD_VIEWER_SEES[viewer](photo));
  /** What the viewer may know of a photo's capture: its time and make, or nothing. */
  const capture = (viewer: FieldViewer, photo: FieldPhoto) =>
    READS_FIELD[viewer].captureDetails(photo)
      ? { taken: Date.parse(FIELD_TABLE.photos[photo].taken), make: FIELD_TABLE.photos[photo].make }
      : undefined;
  const idsOf = (photos: readonly FieldPhoto[]) => photos.map((photo) => photoIds[photo]);
  /** A filter finds exactly `expected` for the viewer: its page, its totalCount and its timeline's sum. */
  const assertFinds = async (viewer: FieldViewer, filter: object, expected: readonly FieldPhoto[]) => {
    const found = dataOf(await postGraphQL(server.url, FilteredQuery, { filter, first: 10 }, headers[viewer])).photos;
    assert.deepEqual(found.nodes.map((node) => node.id).sort(), idsOf(expected).sort(), `${viewer} ${JSON.stringify(filter)}`);
    assert.equal(found.totalCount, expected.length, `${viewer} ${JSON.stringify(filter)}: totalCount`);
    const timeline = dataOf(await postGraphQL(server.url, FieldTimeline, { filter }, headers[viewer])).timeline;
    assert.equal(
      timeline.reduce((sum, bucket) => sum + bucket.count, 0),
      expected.length,
      `${viewer} ${JSON.stringify(filter)}: timeline`,
    );
  };

  for (const viewer of ['admin', 'anonymous', 'shareShowing', 'shareHiding'] as const) {
    it(`${viewer}: capture details, location, content hash and byte size read as the table says`, async () => {
      const data = dataOf(await postGraphQL(server.url, FieldsQuery, {}, headers[viewer]));
      assert.deepEqual(data.photos.nodes.map((node) => node.id).sort(), idsOf(seen(viewer)).sort());
      for (const node of data.photos.nodes) {
        const name = FIELD_PHOTOS.find((photo) => photoIds[photo] === node.id) as FieldPhoto;
        const reads = READS_FIELD[viewer];
        assert.equal(node.takenAt !== null, reads.captureDetails(name), `${name}.takenAt`);
        assert.equal(node.camera?.make ?? null, reads.captureDetails(name) ? FIELD_TABLE.photos[name].make : null, `${name}.camera`);
        assert.equal(node.exposure !== null, reads.captureDetails(name), `${name}.exposure`);
        assert.equal(node.location !== null, reads.location(name) && FIELD_TABLE.photos[name].gps, `${name}.location`);
        assert.equal(node.contentHash !== null, reads.originalFacts(name), `${name}.contentHash`);
        assert.equal(node.byteSize !== null, reads.originalFacts(name), `${name}.byteSize`);
      }
    });

    for (const inAlbum of [false, true]) {
      it(`${viewer} × timeline${inAlbum ? ' of the shared album' : ''}: counts per day only the capture times the viewer reads, the rest undated`, async () => {
        const filter = inAlbum ? { albumId: sharedAlbumId } : {};
        const buckets = dataOf(await postGraphQL(server.url, FieldTimeline, { filter }, headers[viewer])).timeline;
        const expected = new Map<string | null, number>();
        for (const photo of seen(viewer)) {
          if (inAlbum && !(FIELD_TABLE.photos[photo].albums as readonly string[]).includes('Shared')) continue;
          const known = capture(viewer, photo);
          const day = known === undefined ? null : new Date(Math.floor(known.taken / 86_400_000) * 86_400_000).toISOString();
          expected.set(day, (expected.get(day) ?? 0) + 1);
        }
        assert.deepEqual(new Map(buckets.map((bucket) => [bucket.start ?? null, bucket.count])), expected);
      });
    }

    /** Each filter over capture details, with what it matches of what the viewer may know. */
    const filters: { name: string; filter: Record<string, string>; matches: (known: { taken: number; make: string }) => boolean }[] = [
      {
        name: 'takenAfter',
        filter: { takenAfter: '2005-01-01T00:00:00Z' },
        matches: (known) => known.taken >= Date.parse('2005-01-01T00:00:00Z'),
      },
      {
        name: 'takenBefore',
        filter: { takenBefore: '2005-01-01T00:00:00Z' },
        matches: (known) => known.taken < Date.parse('2005-01-01T00:00:00Z'),
      },
      {
        name: 'a one-second window (the exact capture time)',
        filter: { takenAfter: '2008-10-22T16:28:39Z', takenBefore: '2008-10-22T16:28:40Z' },
        matches: (known) => known.taken === Date.parse('2008-10-22T16:28:39Z'),
      },
      { name: 'cameraMake', filter: { cameraMake: 'NIKON' }, matches: (known) => known.make === 'NIKON' },
      { name: 'cameraMake of one photo', filter: { cameraMake: 'Canon' }, matches: (known) => known.make === 'Canon' },
    ];
    for (const { name, filter, matches } of filters) {
      for (const inAlbum of [false, true]) {
        it(`${viewer} × filter ${name}${inAlbum ? ' within the shared album' : ''}: counts and lists only what the viewer reads`, async () => {
          const variables = { filter: inAlbum ? { ...filter, albumId: sharedAlbumId } : filter, first: 10 };
          const data = dataOf(await postGraphQL(server.url, FilteredQuery, variables, headers[viewer]));
          const expected = seen(viewer).filter((photo) => {
            if (inAlbum && !(FIELD_TABLE.photos[photo].albums as readonly string[]).includes('Shared')) return false;
            const known = capture(viewer, photo);
            return known !== undefined && matches(known);
          });
          assert.deepEqual(data.photos.nodes.map((node) => node.id).sort(), idsOf(expected).sort(), 'nodes');
          assert.equal(data.photos.totalCount, expected.length, 'totalCount');
        });
      }
    }

    for (const order of ['TAKEN_AT_ASC', 'TAKEN_AT_DESC'] as const) {
      it(`${viewer} × ${order}: sorts by what the viewer reads (the time added, where the capture time is hidden), page by page`, async () => {
        const key = (photo: FieldPhoto) => capture(viewer, photo)?.taken ?? stored[photo].createdAt;
        const ascending = [...seen(viewer)].sort((a, b) => key(a) - key(b) || stored[a].id - stored[b].id);
        const expected = idsOf(order === 'TAKEN_AT_ASC' ? ascending : ascending.reverse());
        const whole = dataOf(await postGraphQL(server.url, FilteredQuery, { order, first: 10 }, headers[viewer]));
        assert.deepEqual(
          whole.photos.nodes.map((node) => node.id),
          expected,
          'one page',
        );
        const paged: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 10; page++) {
          const data = dataOf(await postGraphQL(server.url, FilteredQuery, { order, first: 1, after }, headers[viewer]));
          paged.push(...data.photos.nodes.map((node) => node.id));
          const cursor = data.photos.pageInfo.endCursor ?? '';
          // What the cursor stands for, opened with the server's secret: never a time the viewer cannot read.
          const position = openCursor(cursorKeys(secret), cursor) ?? '';
          assert.match(position, /^\["photos\./, 'a cursor this server sealed');
          for (const photo of FIELD_PHOTOS) {
            if (capture(viewer, photo) === undefined)
              assert.ok(!position.includes(String(stored[photo].takenAt)), `${position} holds ${photo}'s capture time`);
          }
          if (!data.photos.pageInfo.hasNextPage) break;
          after = cursor;
        }
        assert.deepEqual(paged, expected, 'one photo a page, by cursor');
      });
    }
  }

  it('favourites and stars read and filter as the table says, for every viewer', async () => {
    const all = idsOf(FIELD_PHOTOS);
    const curate = (favorite: boolean, rating: number) =>
      postGraphQL(server.url, FieldCurate, { input: { ids: all, favorite, rating } }, headers.admin);
    assert.equal(dataOf(await curate(true, 4)).updatePhotos.__typename, 'PhotosPayload');
    try {
      for (const viewer of ['admin', 'anonymous', 'shareShowing', 'shareHiding'] as const) {
        const reads = READS_FIELD[viewer];
        const data = dataOf(await postGraphQL(server.url, FieldsQuery, {}, headers[viewer]));
        for (const node of data.photos.nodes) {
          const name = FIELD_PHOTOS.find((photo) => photoIds[photo] === node.id) as FieldPhoto;
          assert.deepEqual(
            { favorite: node.favorite, rating: node.rating },
            reads.curation(name) ? { favorite: true, rating: 4 } : { favorite: false, rating: 0 },
            `${viewer}: ${name}`,
          );
        }
        for (const filter of [{ favorite: true }, { minRating: 4 }, { favorite: true, albumId: sharedAlbumId }]) {
          const expected = seen(viewer).filter(
            (photo) =>
              reads.curation(photo) &&
              (!('albumId' in filter) || (FIELD_TABLE.photos[photo].albums as readonly string[]).includes('Shared')),
          );
          await assertFinds(viewer, filter, expected);
        }
      }
    } finally {
      await curate(false, 0);
    }
  });

  it('keywords, places, searches and the map read and find as the table says, for every viewer', async () => {
    const all = idsOf(FIELD_PHOTOS);
    const tag = (change: { addKeywords?: string[]; removeKeywords?: string[] }) =>
      postGraphQL(server.url, FieldCurate, { input: { ids: all, ...change } }, headers.admin);
    assert.equal(dataOf(await tag({ addKeywords: ['Harbour'] })).updatePhotos.__typename, 'PhotosPayload');
    // As the worker would have placed the GPS photos (this server runs none).
    const db = new Database(path.join(server.dataDir, 'lightbox.db'));
    db.exec(`INSERT INTO places (id, name, country_code, country, latitude, longitude) VALUES (3182884, 'Arezzo', 'IT', 'Italy', 43.46, 11.88);
             UPDATE photos SET place_id = 3182884 WHERE latitude IS NOT NULL`);
    db.close();
    const gps = (photo: FieldPhoto) => FIELD_TABLE.photos[photo].gps;
    const inShared = (photo: FieldPhoto) => (FIELD_TABLE.photos[photo].albums as readonly string[]).includes('Shared');
    try {
      for (const viewer of ['admin', 'anonymous', 'shareShowing', 'shareHiding'] as const) {
        const reads = READS_FIELD[viewer];
        const data = dataOf(await postGraphQL(server.url, FieldFindings, {}, headers[viewer]));
        for (const node of data.photos.nodes) {
          const name = FIELD_PHOTOS.find((photo) => photoIds[photo] === node.id) as FieldPhoto;
          assert.deepEqual(node.keywords, reads.captureDetails(name) ? ['Harbour'] : [], `${viewer}: ${name}.keywords`);
          assert.equal(node.place?.name ?? null, reads.location(name) && gps(name) ? 'Arezzo' : null, `${viewer}: ${name}.place`);
        }
        const mapped = data.photoClusters.reduce((sum, cluster) => sum + cluster.count, 0);
        assert.equal(mapped, viewer === 'admin' ? FIELD_PHOTOS.filter(gps).length : 0, `${viewer}: photoClusters`);
        const finds: { filter: object; matches: (photo: FieldPhoto) => boolean }[] = [
          { filter: { keyword: 'harbour' }, matches: reads.captureDetails },
          { filter: { text: 'harb' }, matches: reads.captureDetails },
          { filter: { text: 'coolpix' }, matches: (photo) => reads.captureDetails(photo) && FIELD_TABLE.photos[photo].make === 'NIKON' },
          { filter: { text: 'arezzo' }, matches: (photo) => reads.location(photo) && gps(photo) },
          // Album titles are the owner's to search: a private album's would tell what it holds.
          { filter: { text: 'shared' }, matches: (photo) => viewer === 'admin' && inShared(photo) },
          { filter: { area: { west: -180, south: -90, east: 180, north: 90 } }, matches: (photo) => viewer === 'admin' && gps(photo) },
        ];
        for (const { filter, matches } of finds) {
          await assertFinds(viewer, filter, seen(viewer).filter(matches));
        }
      }
    } finally {
      await tag({ removeKeywords: ['Harbour'] });
      const undo = new Database(path.join(server.dataDir, 'lightbox.db'));
      undo.exec('UPDATE photos SET place_id = NULL');
      undo.close();
    }
  });

  it('viewer × download: the uploaded files for the admin, the copies for a link that allows originals (its album only), else none', {
    skip: existsSync('/usr/bin/unzip') || process.env.CI ? false : 'unzip is not installed',
  }, async () => {
    const dir = await makeTempDir();
    for (const [viewer, albums] of Object.entries(DOWNLOADS) as [keyof typeof DOWNLOADS, (typeof DOWNLOADS)['admin']][]) {
      const viewerHeaders = viewer === 'shareOriginals' ? originalsHeaders : headers[viewer];
      for (const [album, expected] of Object.entries(albums) as ['Shared' | 'Open', 'untouched' | 'copies' | null][]) {
        const what = `${viewer} × ${album}`;
        const data = dataOf(
          await postGraphQL(server.url, FieldDownload, { id: album === 'Shared' ? sharedAlbumId : openAlbumId }, viewerHeaders),
        );
        const url = data.album?.download?.url ?? null;
        assert.equal(url === null, expected === null, what);
        if (url === null) continue;
        const response = await request(`${server.url}${url}`);
        assert.equal(response.statusCode, 200, what);
        const file = path.join(dir, `${viewer}-${album}.zip`);
        await writeFile(file, Buffer.from(await response.body.arrayBuffer()));
        const names = (await run('unzip', ['-Z1', file])).stdout.split('\n').filter((line) => line !== '');
        const members = FIELD_PHOTOS.filter((photo) => (FIELD_TABLE.photos[photo].albums as readonly string[]).includes(album));
        assert.equal(names.length, members.length, what);
        const withGps = members.filter((photo) => FIELD_TABLE.photos[photo].gps).length;
        let gpsFound = 0;
        for (const name of names) {
          const bytes = (await run('unzip', ['-p', file, name], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })).stdout;
          if ((await exifr.gps(bytes).catch(() => undefined))?.latitude !== undefined) gpsFound++;
        }
        assert.equal(gpsFound, expected === 'untouched' ? withGps : 0, `${what}: photos with GPS`);
      }
    }
  });

  it("the share page and its photos' pages still work for a link that shows no metadata and no location", async () => {
    const shared = dataOf(await postGraphQL(server.url, SharePage, {}, headers.shareHiding));
    assert.equal(shared.sharedAlbum?.photos.nodes.length, 3);
    const page = await request(`${server.url}${hidingLink}`);
    const html = await page.body.text();
    assert.equal(page.statusCode, 200);
    const photoLinks = [...html.matchAll(/href="([^"]*\/photos\/[^"]+)"/g)].map((match) =>
      (match[1] as string).replace(/&#38;|&amp;/g, '&'),
    );
    assert.equal(photoLinks.length, 3, html);
    for (const link of photoLinks) {
      const photoPage = await request(`${server.url}${link}`);
      const text = await photoPage.body.text();
      assert.equal(photoPage.statusCode, 200, link);
      assert.doesNotMatch(text, /Taken |NIKON|Canon|KODAK/, 'no capture details on the page');
    }
  });
});
