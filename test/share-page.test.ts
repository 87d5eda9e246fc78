import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { UNLOCK_LIMITS } from '../src/auth/unlock-limiter.ts';
import type { CreateShareLinkInput } from './generated/graphql.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin, type MadeShareLink, revokeShareLinkAsAdmin } from './helpers/share-links.ts';

const Rename = graphql(`
  mutation SharePageRename($id: ID!, $title: String!) {
    updateAlbum(input: { id: $id, title: $title }) {
      __typename
    }
  }
`);

async function get(url: string, init: Parameters<typeof request>[1] = {}) {
  const response = await request(url, init);
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

/** The image URLs of a page, as a browser reads its attributes (`&` is escaped there). */
const imageSources = (html: string) =>
  [...html.matchAll(/<img src="([^"]+)"[^>]* width="(\d+)" height="(\d+)"/g)].map((match) =>
    (match[1] as string).replace(/&#38;|&amp;/g, '&'),
  );

describe('/s/<token>: the shared album for a browser, without cookie or inline script', () => {
  let server: TestServer;
  let albumId = '';
  let open: MadeShareLink;
  let locked: MadeShareLink;

  const link = (input: Omit<CreateShareLinkInput, 'albumId'>) => createShareLinkAsAdmin(server, { albumId, ...input });

  before(async () => {
    server = await startTestServer();
    const built = await buildLibrary(server.dataDir, {
      albums: { Trip: 'PRIVATE', Other: 'PRIVATE' },
      photos: {
        first: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Trip'] },
        second: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Trip'] },
        elsewhere: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0040.jpg'), albums: ['Other'] },
      },
    });
    albumId = encodeGlobalID('Album', built.albums.Trip as string);
    await postGraphQL(server.url, Rename, { id: albumId, title: 'Trip <script>alert(1)</script>' }, server.admin);
    open = await link({});
    locked = await link({ password: 'let me in' });
  });
  after(() => server.close());

  it('shows the album, every image loads, and the page holds nothing else', async () => {
    const page = await get(`${server.url}${open.url}`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "script-src 'self'", "img-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    }
    assert.equal(page.headers['referrer-policy'], 'no-referrer', 'the token in the URL never leaves in a Referer');
    assert.equal(page.headers['cache-control'], 'private, no-store');
    assert.equal(page.headers['set-cookie'], undefined);
    assert.ok(page.text.includes('Trip &#60;script&#62;alert(1)&#60;/script&#62;'), 'the title is escaped');
    for (const script of page.text.match(/<script[^>]*>/g) ?? []) {
      assert.match(script, /src="\/assets\/gallery\.js\?v=|type="application\/json"/, 'no inline script');
    }
    assert.match(page.text, /2 photos/);
    const sources = imageSources(page.text);
    assert.equal(sources.length, 2);
    for (const source of sources) {
      const image = await request(`${server.url}${source}`);
      await image.body.dump();
      assert.equal(image.statusCode, 200, source);
      assert.equal(image.headers['content-type'], 'image/jpeg');
    }
    const head = await request(`${server.url}${open.url}`, { method: 'HEAD' });
    assert.equal(head.statusCode, 200);
    assert.equal(await head.body.text(), '');
  });

  it('a link with a password asks for it; the right one opens the album without a cookie, a wrong one says so', async () => {
    const form = await get(`${server.url}${locked.url}`);
    assert.equal(form.status, 200);
    assert.match(form.text, /<form method="post"/);
    assert.equal(imageSources(form.text).length, 0, 'nothing of the album before the password');

    const post = (password: string) =>
      request(`${server.url}${locked.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password }).toString(),
      });
    const wrong = await post('not it');
    assert.equal(wrong.statusCode, 401);
    assert.match(await wrong.body.text(), /That password is not right/);
    const right = await post('let me in');
    await right.body.dump();
    assert.equal(right.statusCode, 303);
    assert.equal(right.headers['set-cookie'], undefined);
    const location = String(right.headers.location);
    assert.match(location, new RegExp(`^${locked.url}\\?unlock=`));
    const album = await get(`${server.url}${location}`);
    assert.equal(album.status, 200);
    assert.equal(imageSources(album.text).length, 2);

    // An unlock belongs to its link: under another link's token it opens nothing.
    const borrowed = await get(`${server.url}${open.url}${location.slice(locked.url.length)}`);
    assert.equal(borrowed.status, 404);
  });

  it("only the password form takes a POST: a shared photo's page answers 405 whatever the token, as the public pages do", async () => {
    const answer = async (path: string) => {
      const response = await request(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'password=let+me+in',
      });
      const { date: _date, ...headers } = response.headers;
      return { status: response.statusCode, headers, text: await response.body.text() };
    };
    const album = await get(`${server.url}${open.url}`);
    const photoPath = /href="(\/s\/[^/"]+\/photos\/[^"?]+)/.exec(album.text)?.[1];
    assert.ok(photoPath !== undefined, 'the album links its photos');
    const photoId = photoPath.slice(photoPath.lastIndexOf('/') + 1);
    const elsewhere = await answer(`/photos/${photoId}`);
    assert.equal(elsewhere.status, 405);
    assert.equal(elsewhere.headers.allow, 'GET, HEAD');
    for (const token of [open.token, locked.token, 'Z'.repeat(32), 'not-a-token']) {
      assert.deepEqual(await answer(`/s/${token}/photos/${photoId}`), elsewhere, token.slice(0, 4));
    }
  });

  it('unknown, malformed and revoked tokens all read as the same 404', async () => {
    const unknown = await get(`${server.url}/s/${'Z'.repeat(32)}`);
    const malformed = await get(`${server.url}/s/not-a-token`);
    await revokeShareLinkAsAdmin(server, open.id);
    const revoked = await get(`${server.url}${open.url}`);
    for (const answer of [unknown, malformed, revoked]) {
      assert.equal(answer.status, 404);
      assert.equal(answer.text, unknown.text);
    }
  });

  it('the password form: none given is 400; past the wrong guesses allowed, 429 with Retry-After, even for the right one', async () => {
    const guarded = await link({ password: 'open sesame' });
    const post = (body: string) =>
      request(`${server.url}${guarded.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    for (const body of ['', 'other=1', `password=${'a'.repeat(17 * 1024)}`]) {
      const refused = await post(body);
      assert.equal(refused.statusCode, 400, body.slice(0, 12));
      assert.equal(refused.headers['cache-control'], 'private, no-store');
      assert.match(await refused.body.text(), /Enter the password\.<\/p><form method="post"/);
    }
    let answer = await post('password=wrong');
    for (let attempt = 0; answer.statusCode === 401 && attempt < UNLOCK_LIMITS.perAddress; attempt++) {
      await answer.body.dump();
      answer = await post('password=wrong');
    }
    assert.equal(answer.statusCode, 429);
    const seconds = Number(answer.headers['retry-after']);
    assert.ok(Number.isInteger(seconds) && seconds > 0 && seconds <= UNLOCK_LIMITS.windowMs / 1000, String(seconds));
    assert.equal(answer.headers['cache-control'], 'private, no-store');
    assert.match(await answer.body.text(), /wrong passwords; retry in \d+ s<\/p><form method="post"/);
    const right = await post('password=open+sesame');
    await right.body.dump();
    assert.equal(right.statusCode, 429, 'the right password waits out the window too');
  });
});
