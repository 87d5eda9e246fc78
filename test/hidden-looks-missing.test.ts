import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { cursorKeys, openCursor, sealCursor } from '../src/auth/cursor-sealing.ts';
import { newPublicId } from '../src/ids.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin } from './helpers/share-links.ts';

/**
 * What a viewer cannot see must not show in the shape of an answer either: its status, body,
 * SQL count, entity tag or a cursor's length. (Timings are measured by `npm run bench`.)
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function post(server: TestServer, query: string, variables: object = {}, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

async function get(server: TestServer, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${server.url}/graphql?query=${encodeURIComponent(query)}`, {
    headers: { accept: 'application/json', ...headers },
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

describe('a hidden thing looks like a missing one, in every part of the answer', () => {
  let server: TestServer;
  let library: { albums: Record<string, string>; photos: Record<string, string> };

  before(async () => {
    const dataDir = await makeTempDir();
    library = await buildLibrary(dataDir, {
      albums: { Open: 'PUBLIC', Closed: 'PRIVATE' },
      photos: {
        shown: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Open'] },
        hidden: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Closed'] },
      },
    });
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir });
  });
  after(() => server.close());

  it('node and nodes of a hidden photo or album answer as for an id that never existed, with as many SQL statements', async () => {
    const cases = [
      ['Photo', library.photos.hidden as string],
      ['Album', library.albums.Closed as string],
    ] as const;
    for (const [type, hiddenId] of cases) {
      const hidden = encodeGlobalID(type, hiddenId);
      const missing = encodeGlobalID(type, newPublicId());
      const shown = encodeGlobalID(type, (type === 'Photo' ? library.photos.shown : library.albums.Open) as string);
      const queries = [
        'query($id: ID!) { node(id: $id) { id } }',
        'query($id: ID!) { nodes(ids: [$id]) { id } }',
        `query($id: ID!) { nodes(ids: ["${shown}", $id, "${shown}"]) { id } }`,
      ];
      for (const query of queries) {
        // Once with an id of no photo first: what the read cache remembers of the shown rows is then the same for both.
        await post(server, query, { id: encodeGlobalID(type, newPublicId()) });
        const a = await post(server, query, { id: hidden });
        const b = await post(server, query, { id: missing });
        assert.equal(a.status, b.status, `${type} ${query}`);
        assert.equal(a.text, b.text, `${type} ${query}`);
        assert.equal(
          String(a.headers['server-timing']).replace(/dur=[\d.]+/, ''),
          String(b.headers['server-timing']).replace(/dur=[\d.]+/, ''),
          `${type} ${query}: Server-Timing`,
        );
      }
    }
  });

  it('a forged unlock credential gets the same answer whether its link exists (with a password) or not', async () => {
    const link = await createShareLinkAsAdmin(server, {
      albumId: encodeGlobalID('Album', library.albums.Closed as string),
      password: 'correct horse battery',
    });
    const linkPublicId = decodeGlobalID(link.id).id;
    const expiry = Math.floor(Date.now() / 1000) + 600;
    const forged = (publicId: string) => `${publicId}.${expiry}.${'A'.repeat(22)}.${'A'.repeat(43)}`;
    const query = '{ albums(first: 5) { totalCount } }';
    const existing = await post(server, query, {}, { 'x-lightbox-share': forged(linkPublicId) });
    const never = await post(server, query, {}, { 'x-lightbox-share': forged(newPublicId()) });
    assert.equal(existing.status, never.status);
    assert.equal(existing.text, never.text);
  });

  it('the anonymous entity tag moves only with what anonymous callers see: a private album made, a share link viewed, change nothing', async () => {
    const query = '{ albums(first: 10) { totalCount nodes { title } } }';
    const first = await get(server, query);
    const etag = String(first.headers.etag);
    assert.equal(first.headers['last-modified'], undefined, 'no Last-Modified: it would date the last write anywhere');
    const made = await post(server, 'mutation { createAlbum(input: { title: "Secret" }) { __typename } }', {}, server.admin);
    assert.match(made.text, /AlbumPayload/);
    const link = await createShareLinkAsAdmin(server, { albumId: encodeGlobalID('Album', library.albums.Closed as string) });
    await post(server, query, {}, { 'x-lightbox-share': link.token });
    const again = await get(server, query, { 'if-none-match': etag });
    assert.equal(again.status, 304, 'still what the client holds');
    assert.equal(again.headers.etag, etag);
    const published = await post(
      server,
      'mutation { createAlbum(input: { title: "Shown", visibility: PUBLIC }) { __typename } }',
      {},
      server.admin,
    );
    assert.match(published.text, /AlbumPayload/);
    const changed = await get(server, query, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.etag, etag);
  });
});

describe('sealed cursors', () => {
  it('have one length whatever the size of the row id inside, and open to what was sealed', () => {
    const keys = cursorKeys('a secret for this test only');
    const small = sealCursor(keys, '["photos:CREATED_AT_DESC",1733000000000,7]');
    const large = sealCursor(keys, '["photos:CREATED_AT_DESC",1733000000000,1234567890]');
    assert.equal(sealCursor(keys, '["album-photos",1,7]').length, sealCursor(keys, '["album-photos",123456,1234567]').length);
    assert.equal(small.length, large.length);
    assert.equal(openCursor(keys, large), '["photos:CREATED_AT_DESC",1733000000000,1234567890]');
  });
});
