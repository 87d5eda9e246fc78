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
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

const Remove = graphql(`
  mutation ShareRemovalRemove($album: ID!, $photo: ID!) {
    removePhotosFromAlbum(albumId: $album, photoIds: [$photo]) {
      __typename
    }
  }
`);

const Add = graphql(`
  mutation ShareRemovalAdd($album: ID!, $photo: ID!) {
    addPhotosToAlbum(albumId: $album, photoIds: [$photo]) {
      __typename
    }
  }
`);

const Shared = graphql(`
  query ShareRemovalShared {
    sharedAlbum {
      photos(first: 10) {
        nodes {
          id
          thumb: image(variant: THUMB, format: JPG) {
            url
          }
          medium: image {
            url
          }
          original: image(variant: ORIGINAL) {
            url
          }
          srcSet
        }
      }
    }
  }
`);

const Public = graphql(`
  query ShareRemovalPublic($id: ID!) {
    photo(id: $id) {
      thumb: image(variant: THUMB, format: JPG) {
        url
      }
    }
  }
`);

async function status(url: string): Promise<number> {
  const response = await request(url);
  await response.body.dump();
  return response.statusCode;
}

/**
 * A photo taken out of a shared album ends the URLs handed out for it under the album's links,
 * and putting it back does not bring them back: only URLs handed out after it is back work.
 */
describe('a photo taken out of a shared album: its old URLs stay dead when it is put back', () => {
  let server: TestServer;
  let tripId = '';
  let openId = '';
  const photoIds: Record<string, string> = {};
  let token = '';

  before(async () => {
    server = await startTestServer();
    const built = await buildLibrary(server.dataDir, {
      albums: { Trip: 'PRIVATE', Open: 'PUBLIC' },
      photos: {
        kept: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Trip'] },
        removed: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Trip'] },
        alsoPublic: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0040.jpg'), albums: ['Trip', 'Open'] },
      },
    });
    tripId = encodeGlobalID('Album', built.albums.Trip as string);
    openId = encodeGlobalID('Album', built.albums.Open as string);
    for (const [name, publicId] of Object.entries(built.photos)) photoIds[name] = encodeGlobalID('Photo', publicId);
    token = (await createShareLinkAsAdmin(server, { albumId: tripId })).token;
  });
  after(() => server.close());

  /** Every image URL the link's holder is handed, by photo id. */
  async function sharedUrls(): Promise<Map<string, string[]>> {
    const album = dataOf(await postGraphQL(server.url, Shared, {}, { 'x-lightbox-share': token })).sharedAlbum;
    assert.ok(album);
    return new Map(
      album.photos.nodes.map((photo) => [
        photo.id,
        [
          photo.thumb.url,
          photo.medium.url,
          photo.original.url,
          ...photo.srcSet.split(', ').map((entry) => entry.split(' ')[0] as string),
        ].map((url) => `${server.url}${url}`),
      ]),
    );
  }

  it('URLs handed out before a photo left the album answer 404 after it is put back; new ones load', async () => {
    const before = await sharedUrls();
    const old = before.get(photoIds.removed as string) ?? [];
    assert.ok(old.length >= 4 && old.every((url) => url.includes('sig=')), 'signed URLs of the private photo');
    for (const url of old) assert.equal(await status(url), 200, url);

    dataOf(await postGraphQL(server.url, Remove, { album: tripId, photo: photoIds.removed as string }, server.admin));
    for (const url of old) assert.equal(await status(url), 404, `${url} while out`);

    dataOf(await postGraphQL(server.url, Add, { album: tripId, photo: photoIds.removed as string }, server.admin));
    for (const url of old) assert.equal(await status(url), 404, `${url} after it is back`);
    const fresh = (await sharedUrls()).get(photoIds.removed as string) ?? [];
    assert.equal(fresh.length, old.length);
    for (const url of fresh) assert.equal(await status(url), 200, url);
    for (const url of before.get(photoIds.kept as string) ?? []) assert.equal(await status(url), 200, `the photo left in: ${url}`);
  });

  it('a photo that stays public elsewhere keeps its public URLs (a year in caches) when it leaves the shared album', async () => {
    const id = photoIds.alsoPublic as string;
    const publicUrl = dataOf(await postGraphQL(server.url, Public, { id })).photo?.thumb.url;
    assert.ok(publicUrl && !publicUrl.includes('sig='));
    dataOf(await postGraphQL(server.url, Remove, { album: tripId, photo: id }, server.admin));
    dataOf(await postGraphQL(server.url, Add, { album: tripId, photo: id }, server.admin));
    assert.equal(await status(`${server.url}${publicUrl}`), 200);
    assert.equal(dataOf(await postGraphQL(server.url, Public, { id })).photo?.thumb.url, publicUrl);
    // And once it is public no more, its URLs end as any unpublished photo's do.
    dataOf(await postGraphQL(server.url, Remove, { album: openId, photo: id }, server.admin));
    assert.equal(await status(`${server.url}${publicUrl}`), 404);
  });
});
