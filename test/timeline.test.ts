import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, openDatabase } from '../src/db/client.ts';
import type { TimelineBucketSize } from './generated/graphql.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { databaseBefore } from './helpers/database.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { processingSettled } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

const Timeline = graphql(`
  query Timeline($bucket: TimelineBucketSize!, $filter: PhotoFilter) {
    timeline(bucket: $bucket, filter: $filter) {
      start
      end
      count
    }
  }
`);

const TimelinePhotos = graphql(`
  query TimelinePhotos($filter: PhotoFilter) {
    photos(first: 100, filter: $filter) {
      totalCount
      nodes {
        id
        takenAt
        camera {
          make
        }
      }
    }
  }
`);

const TimelineDeletePhoto = graphql(`
  mutation TimelineDeletePhoto($id: ID!) {
    deletePhoto(id: $id) {
      __typename
    }
  }
`);

const TimelineUpdateAlbum = graphql(`
  mutation TimelineUpdateAlbum($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
    }
  }
`);

const fixture = (...parts: string[]) => path.join(FIXTURE_PHOTOS, ...parts);
const toGlobalId = (type: string, publicId: string) => Buffer.from(`${type}:${publicId}`).toString('base64');

/** The UTC bucket of an instant, as the client would compute it: [start, end) as ISO strings. */
function bucketOf(iso: string, size: TimelineBucketSize): [string, string] {
  // takenAt without an offset is the camera's wall-clock time, which the server reads as UTC.
  const date = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(iso) ? iso : `${iso}Z`);
  const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
  const bounds =
    size === 'DAY'
      ? [Date.UTC(year, month, day), Date.UTC(year, month, day + 1)]
      : size === 'MONTH'
        ? [Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1)]
        : [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1)];
  return bounds.map((ms) => new Date(ms).toISOString()) as [string, string];
}

/** The timeline a viewer should get, from the photos the viewer is listed. */
function expectedTimeline(photos: readonly { takenAt?: string | null }[], size: TimelineBucketSize) {
  const counts = new Map<string, number>();
  let undated = 0;
  for (const photo of photos) {
    if (photo.takenAt === null || photo.takenAt === undefined) {
      undated++;
      continue;
    }
    const key = bucketOf(photo.takenAt, size).join('/');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const dated = [...counts]
    .map(([key, count]) => {
      const [start, end] = key.split('/') as [string, string];
      return { start, end, count };
    })
    .sort((a, b) => b.start.localeCompare(a.start));
  return undated > 0 ? [...dated, { start: null, end: null, count: undated }] : dated;
}

describe('the timeline', () => {
  let server: TestServer;
  let ids: { albums: Record<string, string>; photos: Record<string, string> };
  const viewers: { name: string; headers: Record<string, string> }[] = [];

  before(async () => {
    const dataDir = await makeTempDir();
    // Cameras from 1998-2004 and GPS photos from 2008, each with its DateTimeOriginal; the orientation set has none.
    ids = await buildLibrary(dataDir, {
      albums: { trip: 'PUBLIC', home: 'PRIVATE', shared: 'PRIVATE' },
      photos: {
        canon: { file: fixture('cameras', 'canon-ixus.jpg'), albums: ['trip'] },
        fujifilm: { file: fixture('cameras', 'fujifilm-dx10.jpg'), albums: ['trip'] },
        kodak: { file: fixture('cameras', 'kodak-dc240.jpg'), albums: ['home'] },
        nikon: { file: fixture('cameras', 'nikon-e950.jpg'), albums: ['shared'] },
        olympus: { file: fixture('cameras', 'olympus-c960.jpg'), albums: ['shared', 'trip'] },
        sony: { file: fixture('cameras', 'sony-d700.jpg'), albums: [] },
        gps10: { file: fixture('gps', 'DSCN0010.jpg'), albums: ['trip'] },
        gps21: { file: fixture('gps', 'DSCN0021.jpg'), albums: ['shared'] },
        gps40: { file: fixture('gps', 'DSCN0040.jpg'), albums: [] },
        undated1: { file: fixture('orientation', 'Landscape_1.jpg'), albums: ['trip'] },
        undated2: { file: fixture('orientation', 'Portrait_1.jpg'), albums: ['shared'] },
      },
    });
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_WORKERS: '2' });
    await processingSettled(server);
    const shared = toGlobalId('Album', ids.albums.shared as string);
    const link = await createShareLinkAsAdmin(server, { albumId: shared });
    const hiding = await createShareLinkAsAdmin(server, { albumId: shared, showMetadata: false });
    viewers.push(
      { name: 'admin', headers: server.admin },
      { name: 'anonymous', headers: {} },
      { name: 'share link', headers: { 'x-lightbox-share': link.token } },
      { name: 'share link hiding metadata', headers: { 'x-lightbox-share': hiding.token } },
    );
  });

  after(async () => {
    await server?.close();
  });

  const timelineOf = async (headers: Record<string, string>, bucket: TimelineBucketSize, filter?: object) =>
    dataOf(await postGraphQL(server.url, Timeline, { bucket, filter }, headers)).timeline;
  const photosOf = async (headers: Record<string, string>, filter?: object) =>
    dataOf(await postGraphQL(server.url, TimelinePhotos, { filter }, headers)).photos;

  it('counts each viewer’s photos per UTC day, month and year, newest first and the undated last', async () => {
    const admin = await photosOf(server.admin);
    assert.equal(admin.totalCount, 11);
    assert.ok(admin.nodes.filter((photo) => photo.takenAt === null).length >= 2, 'the orientation fixtures have no capture time');
    assert.ok(new Set(admin.nodes.map((photo) => photo.takenAt?.slice(0, 4))).size >= 4, 'the fixtures span several years');
    for (const viewer of viewers) {
      const listed = await photosOf(viewer.headers);
      for (const size of ['DAY', 'MONTH', 'YEAR'] as const) {
        assert.deepEqual(await timelineOf(viewer.headers, size), expectedTimeline(listed.nodes, size), `${viewer.name}, ${size}`);
      }
    }
    const hiding = (viewers[3] as { headers: Record<string, string> }).headers;
    assert.deepEqual(await timelineOf(hiding, 'MONTH'), [{ start: null, end: null, count: (await photosOf(hiding)).totalCount }]);
  });

  it('agrees with the list of each bucket’s range, for every viewer and with a filter', async () => {
    for (const viewer of viewers) {
      for (const filter of [{}, { cameraMake: 'NIKON' }, { albumId: toGlobalId('Album', ids.albums.trip as string) }]) {
        const buckets = await timelineOf(viewer.headers, 'MONTH', filter);
        const total = (await photosOf(viewer.headers, filter)).totalCount;
        assert.equal(
          buckets.reduce((sum, bucket) => sum + bucket.count, 0),
          total,
          `${viewer.name} ${JSON.stringify(filter)}: the buckets add up to the list`,
        );
        for (const bucket of buckets.filter((each) => each.start !== null)) {
          const inside = await photosOf(viewer.headers, { ...filter, takenAfter: bucket.start, takenBefore: bucket.end });
          assert.equal(inside.totalCount, bucket.count, `${viewer.name} ${JSON.stringify(filter)}: ${bucket.start}`);
        }
      }
    }
    const nikon = await timelineOf(server.admin, 'YEAR', { cameraMake: 'NIKON' });
    assert.ok(nikon.length >= 1);
    assert.equal(
      nikon.find((bucket) => bucket.start === null),
      undefined,
      'every NIKON photo has a capture time',
    );
  });

  it('follows deletions and visibility changes at once', async () => {
    const anonymousBefore = await timelineOf({}, 'YEAR');
    await postGraphQL(
      server.url,
      TimelineUpdateAlbum,
      { input: { id: toGlobalId('Album', ids.albums.home as string), visibility: 'PUBLIC' } },
      server.admin,
    );
    const anonymousAfter = await timelineOf({}, 'YEAR');
    const sum = (buckets: { count: number }[]) => buckets.reduce((total, bucket) => total + bucket.count, 0);
    assert.equal(sum(anonymousAfter), sum(anonymousBefore) + 1, 'the kodak photo joins the public timeline');
    assert.deepEqual(anonymousAfter, expectedTimeline((await photosOf({})).nodes, 'YEAR'));

    const adminBefore = sum(await timelineOf(server.admin, 'DAY'));
    await postGraphQL(server.url, TimelineDeletePhoto, { id: toGlobalId('Photo', ids.photos.kodak as string) }, server.admin);
    assert.equal(sum(await timelineOf(server.admin, 'DAY')), adminBefore - 1);
    assert.deepEqual(await timelineOf({}, 'YEAR'), anonymousBefore, 'and leaves it again when deleted');
  });

  it('refuses a bucket size it does not know', async () => {
    const { body } = await postGraphQL(server.url, Timeline, { bucket: 'WEEK' as TimelineBucketSize }, server.admin);
    assert.equal(body.data, undefined);
    assert.match(body.errors?.[0]?.message ?? '', /TimelineBucketSize/);
  });

  it('reads one row per bucket for a whole audience, never the photos', () => {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'));
    try {
      const plan = (
        handle.sqlite
          .prepare("EXPLAIN QUERY PLAN SELECT start, photos FROM photo_timeline WHERE audience = 'all' AND size = 'MONTH' AND photos > 0")
          .all() as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      assert.match(plan.join('\n'), /SEARCH photo_timeline USING INDEX sqlite_autoindex_photo_timeline_1 \(audience=\? AND size=\?\)/);
    } finally {
      handle.close();
    }
  });
});

describe('the migration to photo_timeline', () => {
  it('counts the photos already there per day and audience, and keeps counting from then on', async () => {
    const handle = await databaseBefore('photo_timeline');
    try {
      const { sqlite } = handle;
      const photo = sqlite.prepare(
        `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height, taken_at)
         VALUES (?, ?, ?, 1, 'image/jpeg', 'jpg', 1, 1, ?)`,
      );
      photo.run('p1', 'morning', '1'.repeat(64), Date.UTC(2020, 5, 3, 8));
      photo.run('p2', 'evening', '2'.repeat(64), Date.UTC(2020, 5, 3, 23, 59));
      photo.run('p3', 'before 1970', '3'.repeat(64), Date.UTC(1969, 11, 31, 12));
      photo.run('p4', 'undated', '4'.repeat(64), null);
      sqlite.prepare("INSERT INTO albums (public_id, title, visibility) VALUES ('a', 'open', 'PUBLIC')").run();
      sqlite.prepare('INSERT INTO album_photos (album_id, photo_id, position) VALUES (1, 2, 1024)').run();

      applyMigrations(handle);
      const buckets = (size: string) =>
        sqlite.prepare('SELECT audience, start, photos FROM photo_timeline WHERE size = ? AND photos <> 0 ORDER BY 1, 2').all(size);
      assert.deepEqual(buckets('DAY'), [
        { audience: 'all', start: Date.UTC(1969, 11, 31), photos: 1 },
        { audience: 'all', start: Date.UTC(2020, 5, 3), photos: 2 },
        { audience: 'public', start: Date.UTC(2020, 5, 3), photos: 1 },
      ]);
      assert.deepEqual(buckets('MONTH'), [
        { audience: 'all', start: Date.UTC(1969, 11, 1), photos: 1 },
        { audience: 'all', start: Date.UTC(2020, 5, 1), photos: 2 },
        { audience: 'public', start: Date.UTC(2020, 5, 1), photos: 1 },
      ]);
      assert.deepEqual(buckets('YEAR'), [
        { audience: 'all', start: Date.UTC(1969, 0, 1), photos: 1 },
        { audience: 'all', start: Date.UTC(2020, 0, 1), photos: 2 },
        { audience: 'public', start: Date.UTC(2020, 0, 1), photos: 1 },
      ]);

      sqlite.prepare('UPDATE photos SET taken_at = ? WHERE id = 3').run(Date.UTC(2021, 0, 1));
      sqlite.prepare('DELETE FROM album_photos').run();
      sqlite.prepare('UPDATE photos SET taken_at = ? WHERE id = 4').run(Date.UTC(2021, 0, 1, 5));
      sqlite.prepare('DELETE FROM photos WHERE id = 1').run();
      // Past what strftime can place: counted in no bucket, so among the undated, and nothing fails.
      photo.run('p5', 'year 10000', '5'.repeat(64), Date.UTC(10_000, 0, 1));
      assert.deepEqual(buckets('MONTH'), [
        { audience: 'all', start: Date.UTC(2020, 5, 1), photos: 1 },
        { audience: 'all', start: Date.UTC(2021, 0, 1), photos: 2 },
      ]);
    } finally {
      handle.close();
    }
  });
});
