import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const ThumbUrl = graphql(`
  query RevocationThumbUrl($id: ID!) {
    photo(id: $id) {
      image(variant: THUMB, format: JPG) {
        url
      }
    }
  }
`);

const SetVisibility = graphql(`
  mutation RevocationSetVisibility($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
    }
  }
`);

const RemoveFromAlbum = graphql(`
  mutation RevocationRemove($albumId: ID!, $photoIds: [ID!]!) {
    removePhotosFromAlbum(albumId: $albumId, photoIds: $photoIds) {
      __typename
    }
  }
`);

const AddToAlbum = graphql(`
  mutation RevocationAdd($albumId: ID!, $photoIds: [ID!]!) {
    addPhotosToAlbum(albumId: $albumId, photoIds: $photoIds) {
      __typename
    }
  }
`);

const RemoveAlbum = graphql(`
  mutation RevocationDeleteAlbum($id: ID!) {
    deleteAlbum(id: $id) {
      __typename
    }
  }
`);

describe('unpublishing revokes every URL handed out, for good', () => {
  let server: TestServer;
  const photo = { alone: '', shared: '' };
  const album = { open: '', other: '' };

  before(async () => {
    server = await startTestServer();
    const built = await buildLibrary(server.dataDir, {
      albums: { Open: 'PUBLIC', Other: 'PUBLIC' },
      photos: {
        alone: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] },
        shared: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), albums: ['Open', 'Other'] },
      },
    });
    photo.alone = encodeGlobalID('Photo', built.photos.alone as string);
    photo.shared = encodeGlobalID('Photo', built.photos.shared as string);
    album.open = encodeGlobalID('Album', built.albums.Open as string);
    album.other = encodeGlobalID('Album', built.albums.Other as string);
  });

  after(() => server.close());

  async function anonymousUrl(id: string): Promise<string> {
    const url = dataOf(await postGraphQL(server.url, ThumbUrl, { id })).photo?.image.url;
    assert.ok(url, 'the photo is public');
    return url;
  }

  async function status(url: string): Promise<number> {
    const response = await request(`${server.url}${url}`);
    await response.body.dump();
    return response.statusCode;
  }

  async function admin<T, V>(document: Parameters<typeof postGraphQL<T, V>>[1], variables: V): Promise<void> {
    dataOf(await postGraphQL(server.url, document, variables, server.admin));
  }

  it('an album made private: its URLs 404 at once, and come back as new URLs, never the old ones', async () => {
    const first = await anonymousUrl(photo.alone);
    const sharedUrl = await anonymousUrl(photo.shared);
    assert.equal(await status(first), 200);

    await admin(SetVisibility, { input: { id: album.open, visibility: 'PRIVATE' } });
    assert.equal(await status(first), 404, 'the handed-out URL is dead at the origin');
    assert.equal(await status(sharedUrl), 200, 'a photo still public through another album keeps its URL');
    assert.equal(await anonymousUrl(photo.shared), sharedUrl);

    await admin(SetVisibility, { input: { id: album.open, visibility: 'PUBLIC' } });
    const second = await anonymousUrl(photo.alone);
    assert.notEqual(second, first, 'republished under a new URL');
    assert.equal(await status(second), 200);
    assert.equal(await status(first), 404, 'the old one stays dead');
  });

  it('a photo taken out of its last public album, or whose album is deleted, is revoked the same way', async () => {
    const before = await anonymousUrl(photo.alone);
    await admin(RemoveFromAlbum, { albumId: album.open, photoIds: [photo.alone] });
    assert.equal(await status(before), 404);
    await admin(AddToAlbum, { albumId: album.open, photoIds: [photo.alone] });
    const readded = await anonymousUrl(photo.alone);
    assert.notEqual(readded, before);
    assert.equal(await status(before), 404);

    await admin(RemoveAlbum, { id: album.open });
    assert.equal(await status(readded), 404);
    const sharedUrl = await anonymousUrl(photo.shared);
    assert.equal(await status(sharedUrl), 200, 'the shared photo is still public through the other album');
  });

  it('LIGHTBOX_PUBLIC_MAX_AGE bounds how long caches may keep a public image', async () => {
    const url = await anonymousUrl(photo.shared);
    const year = await request(`${server.url}${url}`);
    await year.body.dump();
    assert.equal(year.headers['cache-control'], 'public, max-age=31536000, immutable');
    // One server per data dir: this one stops before the next starts on it.
    await server.app.close();
    const bounded = await startTestServer({ LIGHTBOX_DATA_DIR: server.dataDir, LIGHTBOX_PUBLIC_MAX_AGE: '600' });
    try {
      const response = await request(`${bounded.url}${url}`);
      await response.body.dump();
      assert.equal(response.headers['cache-control'], 'public, max-age=600, immutable');
    } finally {
      await bounded.app.close();
    }
  });
});
