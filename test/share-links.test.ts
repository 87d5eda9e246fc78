import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import exifr from 'exifr';
import { request } from 'undici';
import { newPublicId } from '../src/ids.ts';
import type { CreateLinkMutationVariables } from './generated/graphql.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, fromResponseCache, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { expireShareLinkNow } from './helpers/share-links.ts';

/**
 * Share links as a table: viewer (admin, anonymous, share A, share B unlocked, share B still
 * locked, expired, revoked) × object (public album, each shared album, a private album, a
 * photo in two albums, covers, counts) × path (lists, node, nodes, photo, album,
 * Photo.albums, sharedAlbum, image URLs in every variant and format).
 */
const TABLE = {
  albums: { Open: 'PUBLIC', SharedA: 'PRIVATE', SharedB: 'PRIVATE', Closed: 'PRIVATE' },
  photos: {
    inPublic: { file: 'gps/DSCN0010.jpg', albums: ['Open'] },
    inA: { file: 'gps/DSCN0021.jpg', albums: ['SharedA'] },
    inAandClosed: { file: 'cameras/canon-ixus.jpg', albums: ['SharedA', 'Closed'] },
    inB: { file: 'gps/DSCN0040.jpg', albums: ['SharedB'] },
    inClosed: { file: 'cameras/kodak-dc240.jpg', albums: ['Closed'] },
  },
} as const;

type PhotoName = keyof typeof TABLE.photos;
type AlbumName = keyof typeof TABLE.albums;
/** Viewers whose requests are answered; `expired` and `revoked` are refused whole (see below). */
type Viewer = 'admin' | 'anonymous' | 'shareA' | 'shareB' | 'lockedB';

const SEES_ALBUM: Record<Viewer, AlbumName[]> = {
  admin: ['Open', 'SharedA', 'SharedB', 'Closed'],
  anonymous: ['Open'],
  shareA: ['Open', 'SharedA'],
  shareB: ['Open', 'SharedB'],
  lockedB: ['Open'],
};
const SHARED_ALBUM: Record<Viewer, AlbumName | null> = {
  admin: null,
  anonymous: null,
  shareA: 'SharedA',
  shareB: 'SharedB',
  lockedB: null,
};
const seesPhoto = (viewer: Viewer, photo: PhotoName) =>
  (TABLE.photos[photo].albums as readonly AlbumName[]).some((album) => SEES_ALBUM[viewer].includes(album));

const Everything = graphql(`
  query ShareEverything {
    photos(first: 20) {
      totalCount
      nodes {
        id
        takenAt
        camera {
          model
        }
        exposure {
          fNumber
        }
        location {
          latitude
        }
        albums {
          id
        }
        original: image(variant: ORIGINAL) {
          url
          width
        }
        thumbJpg: image(variant: THUMB, format: JPG) {
          url
        }
        thumbWebp: image(variant: THUMB, format: WEBP) {
          url
        }
        smallAvif: image(variant: SMALL, format: AVIF) {
          url
        }
        large: image(variant: LARGE, format: JPG) {
          url
          width
        }
        srcSet(format: JPG)
      }
    }
    albums(first: 10) {
      totalCount
      nodes {
        id
        photoCount
        cover {
          id
        }
        photos(first: 20) {
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
  query ShareLookups($photo: ID!, $album: ID!, $ids: [ID!]!) {
    photo(id: $photo) {
      id
    }
    node(id: $photo) {
      id
    }
    nodes(ids: $ids) {
      id
    }
    album(id: $album) {
      id
      photos(first: 20) {
        nodes {
          id
        }
      }
    }
    albumNode: node(id: $album) {
      id
    }
    filtered: photos(first: 20, filter: { albumId: $album }) {
      totalCount
    }
  }
`);

const SharedAlbum = graphql(`
  query SharedAlbum {
    sharedAlbum {
      id
      title
      photos(first: 20) {
        nodes {
          id
          thumb: image(variant: THUMB, format: WEBP) {
            url
          }
        }
      }
    }
  }
`);

const CreateLink = graphql(`
  mutation CreateLink($input: CreateShareLinkInput!) {
    createShareLink(input: $input) {
      __typename
      ... on ShareLinkPayload {
        shareLink {
          id
          url
          tokenPrefix
          hasPassword
          state
        }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

const UpdateLink = graphql(`
  mutation UpdateLink($input: UpdateShareLinkInput!) {
    updateShareLink(input: $input) {
      __typename
      ... on ShareLinkPayload {
        shareLink {
          id
          hasPassword
          expiresAt
          state
        }
      }
      ... on UserError {
        code
      }
    }
  }
`);

const RevokeLink = graphql(`
  mutation RevokeLink($id: ID!) {
    revokeShareLink(id: $id) {
      __typename
      ... on ShareLinkPayload {
        shareLink {
          state
          revokedAt
        }
      }
    }
  }
`);

const Unlock = graphql(`
  mutation Unlock($token: String!, $password: String!) {
    unlockShareLink(token: $token, password: $password) {
      __typename
      ... on ShareUnlock {
        credential
        expiresAt
      }
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

const ListLinks = graphql(`
  query ListLinks {
    shareLinks(first: 20) {
      totalCount
      nodes {
        id
        url
        tokenPrefix
        label
        state
        viewCount
        lastUsedAt
        album {
          title
        }
      }
    }
  }
`);

const SHARE_HEADER = 'x-lightbox-share';
const sorted = (ids: readonly (string | undefined)[]) => [...ids].sort();
const tokenOf = (url: string | null | undefined): string => {
  assert.ok(url?.startsWith('/s/'), `a share URL, got ${url}`);
  return url?.slice('/s/'.length) ?? '';
};

describe('share links: viewer × object × path', () => {
  let server: TestServer;
  const photoIds = {} as Record<PhotoName, string>;
  const albumIds = {} as Record<AlbumName, string>;
  const photoNames = Object.keys(TABLE.photos) as PhotoName[];
  const albumNames = Object.keys(TABLE.albums) as AlbumName[];
  const headers = {} as Record<Viewer | 'expired' | 'revoked', Record<string, string>>;
  let linkBId = '';
  let tokenB = '';

  async function createLink(variables: CreateLinkMutationVariables) {
    const result = dataOf(await postGraphQL(server.url, CreateLink, variables, server.admin)).createShareLink;
    assert.equal(result.__typename, 'ShareLinkPayload', JSON.stringify(result));
    if (result.__typename !== 'ShareLinkPayload') throw new Error('unreachable');
    return result.shareLink;
  }

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    const built = await buildLibrary(server.dataDir, {
      albums: TABLE.albums,
      photos: Object.fromEntries(
        Object.entries(TABLE.photos).map(([name, entry]) => [
          name,
          { file: path.join(FIXTURE_PHOTOS, entry.file), albums: [...entry.albums] },
        ]),
      ),
    });
    for (const name of photoNames) photoIds[name] = encodeGlobalID('Photo', built.photos[name] as string);
    for (const name of albumNames) albumIds[name] = encodeGlobalID('Album', built.albums[name] as string);

    const linkA = await createLink({ input: { albumId: albumIds.SharedA, label: 'for Ann' } });
    const linkB = await createLink({
      input: { albumId: albumIds.SharedB, password: 'correct horse', allowOriginals: true, showMetadata: false, showLocation: true },
    });
    assert.equal(linkB.hasPassword, true);
    linkBId = linkB.id;
    tokenB = tokenOf(linkB.url);
    const unlocked = dataOf(await postGraphQL(server.url, Unlock, { token: tokenB, password: 'correct horse' })).unlockShareLink;
    assert.equal(unlocked.__typename, 'ShareUnlock', JSON.stringify(unlocked));
    if (unlocked.__typename !== 'ShareUnlock') throw new Error('unreachable');
    const expiring = await createLink({ input: { albumId: albumIds.SharedA, expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    const revoked = await createLink({ input: { albumId: albumIds.SharedA } });
    const revocation = dataOf(await postGraphQL(server.url, RevokeLink, { id: revoked.id }, server.admin)).revokeShareLink;
    assert.equal(revocation.__typename === 'ShareLinkPayload' && revocation.shareLink.state, 'REVOKED');

    headers.admin = server.admin;
    headers.anonymous = {};
    headers.shareA = { [SHARE_HEADER]: tokenOf(linkA.url) };
    headers.shareB = { [SHARE_HEADER]: unlocked.credential };
    headers.lockedB = { [SHARE_HEADER]: tokenB };
    headers.expired = { [SHARE_HEADER]: tokenOf(expiring.url) };
    headers.revoked = { [SHARE_HEADER]: tokenOf(revoked.url) };
    // Past the expiring link's end (moved to a moment ago rather than waited for): from here on it opens nothing.
    expireShareLinkNow(server.dataDir, expiring.id);
  });

  after(() => server.close());

  for (const viewer of ['admin', 'anonymous', 'shareA', 'shareB', 'lockedB'] as const) {
    it(`${viewer}: lists, counts, covers, Photo.albums and sharedAlbum agree with the table, and nothing is served from another's cache`, async () => {
      // The anonymous answer is cached first: a share viewer must not be answered from it.
      await postGraphQL(server.url, Everything, {}, {});
      const first = await postGraphQL(server.url, Everything, {}, headers[viewer]);
      const again = await postGraphQL(server.url, Everything, {}, headers[viewer]);
      assert.deepEqual(again.body, first.body);
      const cached = viewer === 'anonymous' || viewer === 'lockedB';
      if (viewer === 'anonymous') assert.ok(fromResponseCache(again.headers), 'anonymous answers come from the cache');
      if (!cached) assert.ok(!fromResponseCache(again.headers), `${viewer} is never answered from the response cache`);
      if (viewer === 'lockedB') assert.ok(!fromResponseCache(again.headers), 'a request carrying a share header never touches the cache');
      assert.equal(again.headers.etag, undefined);
      const data = dataOf(again);
      const photos = photoNames.filter((name) => seesPhoto(viewer, name));
      assert.deepEqual(sorted(data.photos.nodes.map((photo) => photo.id)), sorted(photos.map((name) => photoIds[name])), 'Query.photos');
      assert.equal(data.photos.totalCount, photos.length);
      assert.deepEqual(
        sorted(data.albums.nodes.map((album) => album.id)),
        sorted(SEES_ALBUM[viewer].map((name) => albumIds[name])),
        'Query.albums',
      );
      assert.equal(data.albums.totalCount, SEES_ALBUM[viewer].length);
      for (const photo of data.photos.nodes) {
        const name = photoNames.find((candidate) => photoIds[candidate] === photo.id) as PhotoName;
        const visibleAlbums = (TABLE.photos[name].albums as readonly AlbumName[]).filter((album) => SEES_ALBUM[viewer].includes(album));
        assert.deepEqual(
          sorted(photo.albums.map((album) => album.id)),
          sorted(visibleAlbums.map((album) => albumIds[album])),
          `${name}.albums`,
        );
      }
      for (const album of data.albums.nodes) {
        const name = albumNames.find((candidate) => albumIds[candidate] === album.id) as AlbumName;
        const members = photoNames.filter((photo) => (TABLE.photos[photo].albums as readonly string[]).includes(name));
        assert.deepEqual(
          sorted(album.photos.nodes.map((photo) => photo.id)),
          sorted(members.map((photo) => photoIds[photo])),
          `${name}.photos`,
        );
        assert.equal(album.photoCount, members.length);
        assert.equal(album.photos.totalCount, members.length);
        assert.ok(album.cover === null || members.some((photo) => photoIds[photo] === album.cover?.id), `${name}.cover is a member`);
      }
      const shared = await postGraphQL(server.url, SharedAlbum, {}, headers[viewer]);
      if (viewer === 'lockedB') {
        assert.equal(shared.body.data?.sharedAlbum, null);
        assert.equal(shared.body.errors?.[0]?.extensions?.code, 'SHARE_PASSWORD_REQUIRED');
      } else {
        const album = dataOf(shared).sharedAlbum;
        const expected = SHARED_ALBUM[viewer];
        assert.equal(album?.id ?? null, expected === null ? null : albumIds[expected], 'Query.sharedAlbum');
      }
    });

    for (const name of photoNames) {
      const visible = seesPhoto(viewer, name);
      it(`${viewer} × ${name}: photo, node, nodes ${visible ? 'show it' : 'answer as for a missing photo'}`, async () => {
        const id = photoIds[name];
        const missing = encodeGlobalID('Photo', newPublicId());
        const album = albumIds[TABLE.photos[name].albums[0]];
        const data = dataOf(await postGraphQL(server.url, Lookups, { photo: id, album, ids: [id, missing] }, headers[viewer]));
        assert.equal(data.photo?.id ?? null, visible ? id : null, 'Query.photo');
        assert.equal(data.node?.id ?? null, visible ? id : null, 'Query.node');
        assert.deepEqual(
          data.nodes.map((node) => node?.id ?? null),
          [visible ? id : null, null],
          'Query.nodes',
        );
      });
    }

    for (const name of albumNames) {
      const visible = SEES_ALBUM[viewer].includes(name);
      it(`${viewer} × album ${name}: album, node and the album filter ${visible ? 'show it' : 'answer as for a missing album'}`, async () => {
        const data = dataOf(
          await postGraphQL(server.url, Lookups, { photo: photoIds.inPublic, album: albumIds[name], ids: [] }, headers[viewer]),
        );
        const members = photoNames.filter((photo) => (TABLE.photos[photo].albums as readonly string[]).includes(name));
        assert.equal(data.album?.id ?? null, visible ? albumIds[name] : null, 'Query.album');
        assert.equal(data.albumNode?.id ?? null, visible ? albumIds[name] : null, 'Query.node');
        assert.equal(data.filtered.totalCount, visible ? members.length : 0, 'photos(filter: { albumId })');
        if (visible) assert.equal(data.album?.photos.nodes.length, members.length);
      });
    }
  }

  for (const viewer of ['expired', 'revoked'] as const) {
    it(`${viewer}: every request is refused as for a link that never existed`, async () => {
      const never = { [SHARE_HEADER]: 'A'.repeat(32) };
      for (const document of [Everything, SharedAlbum] as const) {
        const refused = await postGraphQL(server.url, document as typeof SharedAlbum, {}, headers[viewer]);
        const unknown = await postGraphQL(server.url, document as typeof SharedAlbum, {}, never);
        assert.equal(refused.status, 404);
        assert.equal(refused.body.data, undefined);
        assert.equal(refused.body.errors?.[0]?.extensions?.code, 'SHARE_LINK_NOT_FOUND');
        assert.deepEqual(refused.body, unknown.body, 'an ended link reads exactly like an unknown one');
      }
    });
  }

  it('image URLs in every variant and format load for the viewer they were made for, and hidden photos read as missing', async () => {
    const missing = await request(`${server.url}/images/${newPublicId()}/thumb.jpg`);
    const missingBody = await missing.body.text();
    for (const viewer of ['admin', 'anonymous', 'shareA', 'shareB'] as const) {
      const data = dataOf(await postGraphQL(server.url, Everything, {}, headers[viewer]));
      for (const photo of data.photos.nodes) {
        const urls = [photo.original.url, photo.thumbJpg.url, photo.thumbWebp.url, photo.smallAvif.url, photo.large.url];
        urls.push(...photo.srcSet.split(', ').map((entry) => entry.split(' ')[0] as string));
        for (const url of urls) {
          const response = await request(`${server.url}${url}`);
          await response.body.dump();
          assert.equal(response.statusCode, 200, `${viewer}: ${url}`);
          if (viewer.startsWith('share') && url.includes('&s=')) {
            assert.equal(response.headers['cache-control'], 'private, no-cache', 'checked against the link on every use');
          }
        }
      }
    }
    // Every photo nobody but the admin and the link's holders may see: unsigned, it is missing.
    for (const name of photoNames.filter((photo) => !seesPhoto('anonymous', photo))) {
      const publicId = Buffer.from(photoIds[name], 'base64').toString('utf8').split(':')[1];
      const response = await request(`${server.url}/images/${publicId}/thumb.jpg`);
      assert.equal(response.statusCode, 404);
      assert.equal(await response.body.text(), missingBody);
    }
  });

  it("a URL signed under one link does not open under another, nor for another photo, nor with its link's id removed", async () => {
    const a = dataOf(await postGraphQL(server.url, Everything, {}, headers.shareA));
    const b = dataOf(await postGraphQL(server.url, Everything, {}, headers.shareB));
    const urlA = a.photos.nodes.find((photo) => photo.id === photoIds.inA)?.thumbJpg.url as string;
    const urlB = b.photos.nodes.find((photo) => photo.id === photoIds.inB)?.thumbJpg.url as string;
    const linkOf = (url: string) => new URL(url, server.url).searchParams.get('s') as string;
    assert.ok(linkOf(urlA) && linkOf(urlB) && linkOf(urlA) !== linkOf(urlB));
    const attempts = [
      urlA.replace(`s=${linkOf(urlA)}`, `s=${linkOf(urlB)}`),
      urlA.replace(`&s=${linkOf(urlA)}`, ''),
      urlB.replace(/\/images\/[^/]+\//, `/images/${new URL(urlA, server.url).pathname.split('/')[2]}/`),
    ];
    for (const url of attempts) {
      const response = await request(`${server.url}${url}`);
      await response.body.dump();
      assert.equal(response.statusCode, 404, url);
    }
  });

  it('what a share viewer may see of a photo: metadata and location as the link says, ORIGINAL as allowOriginals says', async () => {
    const a = dataOf(await postGraphQL(server.url, Everything, {}, headers.shareA));
    const inA = a.photos.nodes.find((photo) => photo.id === photoIds.inA);
    assert.ok(inA?.camera?.model, 'showMetadata is on by default');
    assert.ok(inA?.takenAt);
    assert.equal(inA?.location, null, 'no location unless the link says showLocation');
    assert.match(inA?.original.url ?? '', /\/large\.jpg\?/, 'allowOriginals off: ORIGINAL is the largest rendition');
    assert.equal(inA?.original.width, inA?.large.width);

    const b = dataOf(await postGraphQL(server.url, Everything, {}, headers.shareB));
    const inB = b.photos.nodes.find((photo) => photo.id === photoIds.inB);
    const publicOne = b.photos.nodes.find((photo) => photo.id === photoIds.inPublic);
    assert.equal(inB?.camera, null, 'showMetadata off hides the camera');
    assert.equal(inB?.exposure, null);
    assert.equal(inB?.takenAt, null);
    assert.equal(typeof inB?.location?.latitude, 'number', "showLocation shows the shared album's photos' position");
    assert.equal(publicOne?.location, null, '…and no other photo’s');
    const response = await request(`${server.url}${inB?.original.url}`);
    const bytes = Buffer.from(await response.body.arrayBuffer());
    assert.equal(response.statusCode, 200);
    assert.match(inB?.original.url ?? '', /\/original\.jpg\?/);
    const uploaded = await readFile(path.join(FIXTURE_PHOTOS, TABLE.photos.inB.file));
    assert.ok(!bytes.equals(uploaded), 'never the uploaded bytes');
    assert.equal(await exifr.gps(bytes).catch(() => undefined), undefined, 'no GPS in the file');
  });

  it('share links are the admin’s: listing shows prefixes and never a token; to anyone else a link id names nothing', async () => {
    await postGraphQL(server.url, SharedAlbum, {}, headers.shareA);
    const list = dataOf(await postGraphQL(server.url, ListLinks, {}, server.admin)).shareLinks;
    assert.equal(list.totalCount, 4);
    for (const link of list.nodes) {
      assert.equal(link.url, null, 'the token is shown only right after creation');
      assert.equal(link.tokenPrefix.length, 6);
    }
    assert.deepEqual(sorted(list.nodes.map((link) => link.state)), ['ACTIVE', 'ACTIVE', 'EXPIRED', 'REVOKED']);
    const used = list.nodes.find((link) => link.label === 'for Ann');
    assert.ok((used?.viewCount ?? 0) > 0, 'uses are counted');
    assert.ok(used?.lastUsedAt);
    const adminNode = await postGraphQL(server.url, Lookups, { photo: linkBId, album: albumIds.Open, ids: [linkBId] }, server.admin);
    assert.equal(adminNode.body.data?.node?.id, linkBId, 'the admin finds a link by its id');
    for (const viewer of ['anonymous', 'shareA', 'shareB'] as const) {
      const refused = await postGraphQL(server.url, ListLinks, {}, headers[viewer]);
      assert.equal(refused.body.data, null);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', viewer);
      const node = await postGraphQL(server.url, Lookups, { photo: linkBId, album: albumIds.Open, ids: [linkBId] }, headers[viewer]);
      assert.equal(node.body.data?.node, null, `${viewer}: node(id) of a link`);
    }
  });

  it('a wrong password is refused with a typed error; a new password ends the credentials given under the old one', async () => {
    const wrong = dataOf(await postGraphQL(server.url, Unlock, { token: tokenB, password: 'Tr0ub4dor' })).unlockShareLink;
    assert.equal(wrong.__typename, 'WrongPasswordError');
    const unknown = dataOf(await postGraphQL(server.url, Unlock, { token: 'B'.repeat(32), password: 'x' })).unlockShareLink;
    assert.equal(unknown.__typename, 'ShareLinkNotFoundError');

    const b = dataOf(await postGraphQL(server.url, Everything, {}, headers.shareB));
    const imageUrl = b.photos.nodes.find((photo) => photo.id === photoIds.inB)?.thumbJpg.url as string;
    const changed = dataOf(await postGraphQL(server.url, UpdateLink, { input: { id: linkBId, password: 'battery staple' } }, server.admin));
    assert.equal(changed.updateShareLink.__typename, 'ShareLinkPayload');
    const stale = await postGraphQL(server.url, SharedAlbum, {}, headers.shareB);
    assert.equal(stale.body.errors?.[0]?.extensions?.code, 'SHARE_PASSWORD_REQUIRED', 'the old credential asks for the password again');
    const image = await request(`${server.url}${imageUrl}`);
    await image.body.dump();
    assert.equal(image.statusCode, 404, 'image URLs handed out under the old password end with it');
    const again = dataOf(await postGraphQL(server.url, Unlock, { token: tokenB, password: 'battery staple' })).unlockShareLink;
    assert.equal(again.__typename, 'ShareUnlock');
    if (again.__typename !== 'ShareUnlock') return;
    headers.shareB = { [SHARE_HEADER]: again.credential };
    assert.equal(dataOf(await postGraphQL(server.url, SharedAlbum, {}, headers.shareB)).sharedAlbum?.id, albumIds.SharedB);
  });
});
