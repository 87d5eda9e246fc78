import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, openDatabase } from '../src/db/client.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { databaseBefore } from './helpers/database.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const OrderPhotoIds = graphql(`
  query OrderPhotoIds {
    photos(first: 50) {
      nodes {
        id
        title
      }
    }
  }
`);

graphql(`
  fragment OrderAlbumFields on Album {
    id
    title
    photoOrder
    cover {
      title
    }
    photos(first: 20) {
      nodes {
        title
      }
    }
  }
`);

const OrderCreateAlbum = graphql(`
  mutation OrderCreateAlbum($input: CreateAlbumInput!) {
    createAlbum(input: $input) {
      __typename
      ... on AlbumPayload {
        album {
          ...OrderAlbumFields
        }
      }
    }
  }
`);

const OrderAddPhotos = graphql(`
  mutation OrderAddPhotos($albumId: ID!, $photoIds: [ID!]!, $position: Int) {
    addPhotosToAlbum(albumId: $albumId, photoIds: $photoIds, position: $position) {
      __typename
      ... on AlbumPayload {
        album {
          ...OrderAlbumFields
        }
      }
    }
  }
`);

const OrderRemovePhotos = graphql(`
  mutation OrderRemovePhotos($albumId: ID!, $photoIds: [ID!]!) {
    removePhotosFromAlbum(albumId: $albumId, photoIds: $photoIds) {
      __typename
    }
  }
`);

const OrderMovePhoto = graphql(`
  mutation OrderMovePhoto($albumId: ID!, $photoId: ID!, $position: Int!) {
    movePhotoInAlbum(albumId: $albumId, photoId: $photoId, position: $position) {
      __typename
      ... on AlbumPayload {
        album {
          ...OrderAlbumFields
        }
      }
    }
  }
`);

const OrderUpdateAlbum = graphql(`
  mutation OrderUpdateAlbum($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
      ... on AlbumPayload {
        album {
          ...OrderAlbumFields
        }
      }
    }
  }
`);

const OrderAlbumPage = graphql(`
  query OrderAlbumPage($id: ID!, $after: String) {
    album(id: $id) {
      photos(first: 2, after: $after) {
        nodes {
          title
        }
        pageInfo {
          endCursor
          hasNextPage
        }
      }
    }
  }
`);

const OrderAlbumList = graphql(`
  query OrderAlbumList($orderBy: AlbumOrder) {
    albums(first: 20, orderBy: $orderBy) {
      nodes {
        ...OrderAlbumFields
      }
    }
  }
`);

// The camera fixtures by their EXIF DateTimeOriginal: sony-d700 1998-12-01, kodak-dc240 1999-05-25,
// olympus-c960 2000-11-07, nikon-e950 2001-04-06, fujifilm-dx10 2001-04-12, canon-ixus 2001-06-09.
const BY_CAPTURE = ['sony-d700', 'kodak-dc240', 'olympus-c960', 'nikon-e950', 'fujifilm-dx10', 'canon-ixus'];

type AlbumFields = {
  id: string;
  title: string;
  photoOrder: string;
  cover: { title: string } | null;
  photos: { nodes: { title: string }[] };
};

describe('album order: by capture time unless the owner arranges it, and the album list by newest photo', () => {
  let server: TestServer;
  let ids: Map<string, string>;
  const id = (title: string) => ids.get(title) ?? assert.fail(`no photo titled ${title}`);
  const titles = (album: AlbumFields) => album.photos.nodes.map((photo) => photo.title);

  before(async () => {
    server = await startTestServer();
    const imported = await runCli(['import', path.join(FIXTURE_PHOTOS, 'cameras'), '--album', 'imported'], {
      LIGHTBOX_DATA_DIR: server.dataDir,
    });
    assert.equal(imported.code, 0, imported.stderr);
    ids = new Map(
      dataOf(await postGraphQL(server.url, OrderPhotoIds, {}, server.admin)).photos.nodes.map((photo) => [photo.title, photo.id]),
    );
  });
  after(() => server.close());

  const albumOf = (result: { __typename: string; album?: unknown }): AlbumFields =>
    result.__typename === 'AlbumPayload' ? (result.album as AlbumFields) : assert.fail(JSON.stringify(result));

  async function newAlbum(title: string, photos: string[]): Promise<AlbumFields> {
    const album = albumOf(dataOf(await postGraphQL(server.url, OrderCreateAlbum, { input: { title } }, server.admin)).createAlbum);
    if (photos.length === 0) return album;
    return albumOf(
      dataOf(await postGraphQL(server.url, OrderAddPhotos, { albumId: album.id, photoIds: photos.map(id) }, server.admin)).addPhotosToAlbum,
    );
  }

  it('shows a new album by capture time, oldest first, whatever order its photos came in; later ones fall into place', async () => {
    const album = await newAlbum('Trip', ['canon-ixus', 'sony-d700', 'nikon-e950']);
    assert.equal(album.photoOrder, 'TAKEN_AT');
    assert.deepEqual(titles(album), ['sony-d700', 'nikon-e950', 'canon-ixus']);
    assert.equal(album.cover?.title, 'sony-d700', 'the cover is the first photo in the order shown');
    const more = albumOf(
      dataOf(
        await postGraphQL(
          server.url,
          OrderAddPhotos,
          { albumId: album.id, photoIds: [id('kodak-dc240'), id('fujifilm-dx10')] },
          server.admin,
        ),
      ).addPhotosToAlbum,
    );
    assert.equal(more.photoOrder, 'TAKEN_AT');
    assert.deepEqual(titles(more), ['sony-d700', 'kodak-dc240', 'nikon-e950', 'fujifilm-dx10', 'canon-ixus']);

    // Pages of two follow the same order, cursor after cursor.
    const paged: string[] = [];
    let after: string | null | undefined;
    for (;;) {
      const page = dataOf(await postGraphQL(server.url, OrderAlbumPage, { id: album.id, after }, server.admin)).album?.photos;
      assert.ok(page);
      paged.push(...page.nodes.map((photo) => photo.title));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.deepEqual(paged, titles(more));
  });

  it('an imported album goes by capture time too, not by the order its files were read', async () => {
    const albums = dataOf(await postGraphQL(server.url, OrderAlbumList, {}, server.admin)).albums.nodes;
    const imported = albums.find((album) => album.title === 'imported') ?? assert.fail('no imported album');
    assert.equal(imported.photoOrder, 'TAKEN_AT');
    assert.deepEqual(titles(imported), BY_CAPTURE);
    assert.equal(imported.cover?.title, 'sony-d700');
  });

  it('a move arranges the album from the order it showed; TAKEN_AT orders it by time again and MANUAL brings the arrangement back', async () => {
    const album = await newAlbum('Arranged', ['canon-ixus', 'sony-d700', 'olympus-c960']);
    const firstPage = dataOf(await postGraphQL(server.url, OrderAlbumPage, { id: album.id }, server.admin)).album?.photos;
    const moved = albumOf(
      dataOf(await postGraphQL(server.url, OrderMovePhoto, { albumId: album.id, photoId: id('canon-ixus'), position: 0 }, server.admin))
        .movePhotoInAlbum,
    );
    assert.equal(moved.photoOrder, 'MANUAL');
    assert.deepEqual(titles(moved), ['canon-ixus', 'sony-d700', 'olympus-c960'], 'the move, applied to the order the owner saw');

    // A page cursor of the capture-time order is refused by the arranged one, with a reason.
    const stale = await postGraphQL(server.url, OrderAlbumPage, { id: album.id, after: firstPage?.pageInfo.endCursor }, server.admin);
    assert.equal(stale.body.errors?.[0]?.extensions?.code, 'INVALID_CURSOR');

    const appended = albumOf(
      dataOf(await postGraphQL(server.url, OrderAddPhotos, { albumId: album.id, photoIds: [id('kodak-dc240')] }, server.admin))
        .addPhotosToAlbum,
    );
    assert.deepEqual(
      titles(appended),
      ['canon-ixus', 'sony-d700', 'olympus-c960', 'kodak-dc240'],
      'an arranged album takes new photos at the end',
    );

    const byTime = albumOf(
      dataOf(await postGraphQL(server.url, OrderUpdateAlbum, { input: { id: album.id, photoOrder: 'TAKEN_AT' } }, server.admin))
        .updateAlbum,
    );
    assert.deepEqual(titles(byTime), ['sony-d700', 'kodak-dc240', 'olympus-c960', 'canon-ixus']);
    assert.equal(byTime.cover?.title, 'sony-d700');
    const arrangedAgain = albumOf(
      dataOf(await postGraphQL(server.url, OrderUpdateAlbum, { input: { id: album.id, photoOrder: 'MANUAL' } }, server.admin)).updateAlbum,
    );
    assert.deepEqual(
      titles(arrangedAgain),
      ['canon-ixus', 'sony-d700', 'olympus-c960', 'kodak-dc240'],
      'nothing of the arrangement was lost',
    );
    assert.equal(arrangedAgain.cover?.title, 'canon-ixus');

    const positioned = await newAlbum('Positioned', ['canon-ixus', 'sony-d700']);
    const inserted = albumOf(
      dataOf(
        await postGraphQL(server.url, OrderAddPhotos, { albumId: positioned.id, photoIds: [id('nikon-e950')], position: 1 }, server.admin),
      ).addPhotosToAlbum,
    );
    assert.equal(inserted.photoOrder, 'MANUAL');
    assert.deepEqual(titles(inserted), ['sony-d700', 'nikon-e950', 'canon-ixus'], 'a position counts in the order shown');
  });

  it('lists albums by their newest photo, newest first, by default; empty ones last; every change re-sorts it', async () => {
    const listed = async () =>
      dataOf(await postGraphQL(server.url, OrderAlbumList, {}, server.admin))
        .albums.nodes.map((album) => album.title)
        .filter((title) => title.startsWith('list-'));
    const old = await newAlbum('list-1998', ['sony-d700']);
    await newAlbum('list-2001', ['nikon-e950']);
    await newAlbum('list-empty', []);
    assert.deepEqual(await listed(), ['list-2001', 'list-1998', 'list-empty']);

    await postGraphQL(server.url, OrderAddPhotos, { albumId: old.id, photoIds: [id('canon-ixus')] }, server.admin);
    assert.deepEqual(await listed(), ['list-1998', 'list-2001', 'list-empty'], 'a newer photo lifts the album');
    await postGraphQL(server.url, OrderRemovePhotos, { albumId: old.id, photoIds: [id('canon-ixus')] }, server.admin);
    assert.deepEqual(await listed(), ['list-2001', 'list-1998', 'list-empty'], 'taking it out puts the album back');

    const byCreation = dataOf(await postGraphQL(server.url, OrderAlbumList, { orderBy: 'CREATED_AT_DESC' }, server.admin))
      .albums.nodes.map((album) => album.title)
      .filter((title) => title.startsWith('list-'));
    assert.deepEqual(byCreation, ['list-empty', 'list-2001', 'list-1998']);
  });

  it('reads each order through an index: no scan of albums or album_photos, no sort', () => {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const plan = (statement: string) =>
        (handle.sqlite.prepare(`EXPLAIN QUERY PLAN ${statement}`).all() as { detail: string }[]).map((row) => row.detail).join('\n');
      const list = plan('SELECT id FROM albums ORDER BY latest_taken_sort DESC, id DESC LIMIT 20');
      assert.match(list, /SCAN albums USING (COVERING )?INDEX albums_latest_taken_idx/);
      assert.doesNotMatch(list, /TEMP B-TREE/);
      const publicList = plan("SELECT id FROM albums WHERE visibility = 'PUBLIC' ORDER BY latest_taken_sort DESC, id DESC LIMIT 20");
      assert.match(publicList, /SEARCH albums USING (COVERING )?INDEX albums_visibility_latest_taken_idx/);
      assert.doesNotMatch(publicList, /TEMP B-TREE/);
      const page = plan('SELECT photo_id FROM album_photos WHERE album_id = 1 ORDER BY photo_taken_sort, photo_id LIMIT 12');
      assert.match(page, /SEARCH album_photos USING (COVERING )?INDEX album_photos_taken_sort_idx/);
      assert.doesNotMatch(page, /TEMP B-TREE/);
      const newest = plan('SELECT max(photo_taken_sort) FROM album_photos WHERE album_id = 1');
      assert.match(newest, /SEARCH album_photos USING (COVERING )?INDEX album_photos_taken_sort_idx/);
    } finally {
      handle.close();
    }
  });
});

describe('the migration to album orders', () => {
  it('keeps an album the owner arranged MANUAL, puts one in import order on capture time, and fills each newest capture time', async () => {
    const handle = await databaseBefore('album_photo_order');
    try {
      const { sqlite } = handle;
      const photo = sqlite.prepare(
        `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height, taken_at, created_at)
         VALUES (?, ?, ?, 1, 'image/jpeg', 'jpg', 1, 1, ?, 1000)`,
      );
      photo.run('p1', 'newer', '1'.repeat(64), Date.UTC(2020, 0, 1));
      photo.run('p2', 'older', '2'.repeat(64), Date.UTC(2010, 0, 1));
      const album = sqlite.prepare('INSERT INTO albums (public_id, title, created_at) VALUES (?, ?, ?)');
      album.run('as-imported', 'as imported', 5000);
      album.run('arranged', 'arranged', 5000);
      album.run('empty', 'empty', 7000);
      const member = sqlite.prepare(
        'INSERT INTO album_photos (album_id, photo_id, position, added_at) VALUES ((SELECT id FROM albums WHERE public_id = ?), ?, ?, ?)',
      );
      member.run('as-imported', 1, 1024, 1);
      member.run('as-imported', 2, 2048, 2);
      member.run('arranged', 1, 2048, 1);
      member.run('arranged', 2, 1024, 2);

      applyMigrations(handle);
      const rows = sqlite.prepare('SELECT public_id, photo_order, latest_taken_sort FROM albums ORDER BY id').all();
      assert.deepEqual(rows, [
        { public_id: 'as-imported', photo_order: 'TAKEN_AT', latest_taken_sort: Date.UTC(2020, 0, 1) },
        { public_id: 'arranged', photo_order: 'MANUAL', latest_taken_sort: Date.UTC(2020, 0, 1) },
        { public_id: 'empty', photo_order: 'TAKEN_AT', latest_taken_sort: 0 },
      ]);
      const positions = sqlite.prepare('SELECT photo_id, position FROM album_photos WHERE album_id = 2 ORDER BY photo_id').all();
      assert.deepEqual(
        positions,
        [
          { photo_id: 1, position: 2048 },
          { photo_id: 2, position: 1024 },
        ],
        'positions are kept as they were',
      );

      // From here the triggers keep it: deleting the newer photo leaves the older one's time.
      sqlite.prepare('DELETE FROM photos WHERE id = 1').run();
      assert.equal(sqlite.prepare("SELECT latest_taken_sort FROM albums WHERE public_id = 'arranged'").pluck().get(), Date.UTC(2010, 0, 1));
      const latest = () => sqlite.prepare("SELECT latest_taken_sort FROM albums WHERE public_id = 'arranged'").pluck().get();
      sqlite.prepare('UPDATE photos SET taken_at = ? WHERE id = 2').run(Date.UTC(2030, 0, 1));
      assert.equal(latest(), Date.UTC(2030, 0, 1), 'a photo given another capture time moves its albums');
      const albumChanges = () => sqlite.prepare("SELECT count(*) FROM changes WHERE subject = 'album'").pluck().get();
      const albumChangesBefore = albumChanges();
      sqlite.prepare("UPDATE photos SET title = 'renamed' WHERE id = 2").run();
      assert.equal(albumChanges(), albumChangesBefore, 'a new title changes the photo, not its albums');
      sqlite.prepare('DELETE FROM photos WHERE id = 2').run();
      assert.equal(latest(), 0, 'empty again');
    } finally {
      handle.close();
    }
  });
});
