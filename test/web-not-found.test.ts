import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { redactCredentials } from '../src/http/redact-url.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin, type MadeShareLink, revokeShareLinkAsAdmin } from './helpers/share-links.ts';

/** A public id of the right form that names nothing. */
const NOBODY = 'AAAAAAAAAAAAAAAAAAAAAA';

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Status, body and every header but Date: what tells one answer from another. */
async function answer(url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET'): Promise<Answer> {
  const init =
    method === 'POST' ? { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=guess' } : { method };
  const response = await request(url, init);
  const { date: _date, ...headers } = response.headers;
  return { status: response.statusCode, headers, body: await response.body.text() };
}

/** A row of the table: which route, what is wrong with the request, and the path that says it. */
interface Row {
  route: string;
  wrong: string;
  path: string;
}

/** The ids a route is tried with: each must answer exactly as a well-formed id that names nothing. */
function idRows(route: string, prefix: string, type: 'Album' | 'Photo', other: string, hidden: string, suffix = ''): Row[] {
  const rows: [string, string][] = [
    ['garbage id', 'xyz'],
    ['id of the wrong type', other],
    ['its type, a malformed public id', encodeGlobalID(type, 'xyz')],
    ['private to an anonymous caller', hidden],
    ['undecodable percent-encoding', '%FF'],
    ['base64 of nothing', '===='],
  ];
  return rows.map(([wrong, id]) => ({ route, wrong, path: `${prefix}${id.startsWith('%') ? id : encodeURIComponent(id)}${suffix}` }));
}

describe('web pages: a malformed, wrong-typed, hidden or missing id all answer the same 404', () => {
  let server: TestServer;
  let ids: { trip: string; secret: string; shared: string; first: string; hidden: string; inShared: string };
  let open: MadeShareLink;
  let locked: MadeShareLink;
  let revoked: MadeShareLink;
  let unlock = '';

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'debug' });
    const built = await buildLibrary(server.dataDir, {
      albums: { Trip: 'PUBLIC', Secret: 'PRIVATE', Shared: 'PRIVATE' },
      photos: {
        first: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Trip'] },
        hidden: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Secret'] },
        inShared: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0040.jpg'), albums: ['Shared'] },
      },
    });
    ids = {
      trip: encodeGlobalID('Album', built.albums.Trip as string),
      secret: encodeGlobalID('Album', built.albums.Secret as string),
      shared: encodeGlobalID('Album', built.albums.Shared as string),
      first: encodeGlobalID('Photo', built.photos.first as string),
      hidden: encodeGlobalID('Photo', built.photos.hidden as string),
      inShared: encodeGlobalID('Photo', built.photos.inShared as string),
    };
    open = await createShareLinkAsAdmin(server, { albumId: ids.shared });
    locked = await createShareLinkAsAdmin(server, { albumId: ids.shared, password: 'let me in' });
    revoked = await createShareLinkAsAdmin(server, { albumId: ids.shared });
    await revokeShareLinkAsAdmin(server, revoked.id);
    const unlocked = await request(`${server.url}${locked.url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'password=let+me+in',
    });
    await unlocked.body.dump();
    unlock = new URL(String(unlocked.headers.location), server.url).searchParams.get('unlock') ?? '';
    assert.notEqual(unlock, '');
  });
  after(() => server.close());

  /** Every id-taking route of the gallery (src/http/web/pages.ts), with what each is tried with. */
  const idTable = (): Row[] => [
    ...idRows('/albums/<id>', '/albums/', 'Album', ids.first, ids.secret),
    ...idRows('/photos/<id>', '/photos/', 'Photo', ids.trip, ids.hidden),
    ...idRows('/s/<token>/photos/<id>', `${open.url}/photos/`, 'Photo', ids.shared, ids.hidden),
    ...idRows('/s/<token>/photos/<id>?unlock=', `${locked.url}/photos/`, 'Photo', ids.shared, ids.hidden, `?unlock=${unlock}`),
  ];

  it('every route, every kind of wrong id: the missing page, byte for byte and header for header (GET and HEAD)', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const missing = await answer(`${server.url}/albums/${encodeURIComponent(encodeGlobalID('Album', NOBODY))}`, method);
      assert.equal(missing.status, 404);
      if (method === 'GET') assert.match(missing.body, /Nothing here/);
      const references = [
        `/photos/${encodeURIComponent(encodeGlobalID('Photo', NOBODY))}`,
        `${open.url}/photos/${encodeURIComponent(encodeGlobalID('Photo', NOBODY))}`,
      ];
      for (const reference of references) assert.deepEqual(await answer(`${server.url}${reference}`, method), missing, reference);
      for (const row of idTable()) {
        assert.deepEqual(await answer(`${server.url}${row.path}`, method), missing, `${method} ${row.route}: ${row.wrong} (${row.path})`);
      }
    }
  });

  it("a photo page's album context with a wrong id is no context, as with a missing album", async () => {
    const photoPage = `/photos/${encodeURIComponent(ids.first)}`;
    const missing = await answer(`${server.url}${photoPage}?album=${encodeURIComponent(encodeGlobalID('Album', NOBODY))}&at=x`);
    assert.equal(missing.status, 200);
    assert.deepEqual(await answer(`${server.url}${photoPage}`), missing, 'the same page as with no album at all');
    for (const row of idRows('/photos/<id>?album=<id>', `${photoPage}?album=`, 'Album', ids.first, ids.secret, '&at=x')) {
      assert.deepEqual(await answer(`${server.url}${row.path}`), missing, `${row.route}: ${row.wrong} (${row.path})`);
    }
  });

  it('a revoked, unknown or garbage token, or a wrong unlock, reads as the same gone link whatever follows it', async () => {
    const gone = await answer(`${server.url}/s/${'Z'.repeat(32)}`);
    assert.equal(gone.status, 404);
    assert.match(gone.body, /This link does not open anything/);
    const rows: { path: string; method?: 'GET' | 'HEAD' | 'POST' }[] = [];
    for (const link of [revoked.url, `/s/${'Z'.repeat(32)}`, '/s/not-a-token', '/s/%FF']) {
      rows.push({ path: link }, { path: `${link}/photos/${encodeURIComponent(ids.inShared)}` }, { path: `${link}/photos/xyz` });
      rows.push({ path: `${link}/photos/${encodeURIComponent(ids.shared)}` }, { path: link, method: 'POST' });
    }
    rows.push({ path: `${open.url}?unlock=${unlock}` }, { path: `${open.url}/photos/xyz?unlock=${unlock}` });
    rows.push({ path: `${locked.url}?unlock=xyz` }, { path: `${locked.url}/photos/${encodeURIComponent(ids.inShared)}?unlock=xyz` });
    for (const row of rows) {
      const got = await answer(`${server.url}${row.path}`, row.method);
      assert.deepEqual(got, gone, `${row.method ?? 'GET'} ${row.path}`);
    }
  });

  it('a wrong id under a share link logs no share token, unlock credential or signature, and no error', async () => {
    for (const row of idTable().filter((entry) => entry.route.startsWith('/s/'))) await answer(`${server.url}${row.path}`);
    const page = await answer(`${server.url}${open.url}`);
    assert.equal(page.status, 200);
    // Its images too: the image route logs each request (at debug), and their URLs are signed.
    const images = [
      ...page.body
        .replaceAll('&#38;', '&')
        .replaceAll('&amp;', '&')
        .matchAll(/<img src="([^"]+)"/g),
    ].map((match) => match[1] as string);
    assert.ok(images.length > 0);
    for (const image of images) assert.equal((await answer(`${server.url}${image}`)).status, 200, image);
    const signature = /[?&]sig=([^&]+)/.exec(images[0] as string)?.[1];
    assert.ok(signature !== undefined, 'the shared images are signed');
    const secrets = [open.token, locked.token, revoked.token, unlock];
    const text = JSON.stringify(server.logs);
    for (const secret of secrets) assert.ok(!text.includes(secret), `a log line holds ${secret.slice(0, 4)}…`);
    assert.ok(!text.includes(signature), 'a log line holds a signature');
    assert.deepEqual(
      server.logs.filter((line) => line.level >= 50),
      [],
      'no request was an error',
    );
  });
});

describe('redactCredentials: what a log keeps of a URL', () => {
  it('keeps the route and at most four characters of a share token; drops unlock credentials and signatures', () => {
    const token = 'AsLbQurrDL1y5ZlLgA3xS4E8ayPG6Qn_';
    assert.equal(redactCredentials(`/s/${token}`), '/s/AsLb[redacted]');
    assert.equal(
      redactCredentials(`/s/${token}/photos/UGhvdG86eHl6?unlock=abc.def&x=1`),
      '/s/AsLb[redacted]/photos/UGhvdG86eHl6?unlock=[redacted]&x=1',
    );
    assert.equal(redactCredentials('/s/ab'), '/s/[redacted]', 'a short segment keeps nothing');
    assert.equal(
      redactCredentials('/images/abc/thumb.jpg?v=1&exp=2&sig=secret&unlock=u'),
      '/images/abc/thumb.jpg?v=1&exp=2&sig=[redacted]&unlock=[redacted]',
    );
    assert.equal(redactCredentials('/albums/x?after=abc'), '/albums/x?after=abc', 'nothing else changes');
  });
});
