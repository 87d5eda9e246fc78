import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { print } from 'graphql';
import { Agent, request } from 'undici';
import { openStore } from '../src/storage/open-store.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { movableClock } from './helpers/clock.ts';
import { dataOf, postGraphQL, sqlStatements } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin, revokeShareLinkAsAdmin } from './helpers/share-links.ts';

const SHARE_HEADER = 'x-lightbox-share';

const Remove = graphql(`
  mutation ShareRevocationRemove($album: ID!, $photo: ID!) {
    removePhotosFromAlbum(albumId: $album, photoIds: [$photo]) {
      __typename
    }
  }
`);

const Shared = graphql(`
  query ShareRevocationShared {
    sharedAlbum {
      title
      photos(first: 10) {
        nodes {
          id
          thumb: image(variant: THUMB, format: JPG) {
            url
          }
          medium: image {
            url
          }
        }
      }
    }
  }
`);

const Unlock = graphql(`
  mutation ShareRevocationUnlock($token: String!, $password: String!) {
    unlockShareLink(token: $token, password: $password) {
      __typename
      ... on RateLimitedError {
        retryAfterSeconds
      }
      ... on ShareUnlock {
        credential
      }
    }
  }
`);

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(url, { headers });
  await response.body.dump();
  return response.statusCode;
}

describe('share links end at once: revocation, expiry, a photo taken out', () => {
  let server: TestServer;
  let albumId = '';
  const photoIds: Record<string, string> = {};
  // The server's clock: an expiry is reached by moving it on, not by waiting.
  const clock = movableClock();

  before(async () => {
    server = await startTestServer({}, { clock: clock.now });
    const built = await buildLibrary(server.dataDir, {
      albums: { Trip: 'PRIVATE' },
      photos: {
        first: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Trip'] },
        second: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Trip'] },
      },
    });
    albumId = encodeGlobalID('Album', built.albums.Trip as string);
    for (const [name, publicId] of Object.entries(built.photos)) photoIds[name] = encodeGlobalID('Photo', publicId);
  });
  after(() => server.close());

  const newLink = (input: { expiresAt?: string } = {}) => createShareLinkAsAdmin(server, { albumId, ...input });

  async function urlsFor(token: string) {
    const album = dataOf(await postGraphQL(server.url, Shared, {}, { [SHARE_HEADER]: token })).sharedAlbum;
    assert.ok(album);
    return album.photos.nodes.flatMap((photo) => [photo.thumb.url, photo.medium.url]).map((url) => `${server.url}${url}`);
  }

  it('revoking a link 404s every image URL handed out under it and every request carrying it, from the next request', async () => {
    const link = await newLink();
    const urls = await urlsFor(link.token);
    for (const url of urls) assert.equal(await status(url), 200);
    // A GET through a browser or a CDN: never stored by a shared cache, never served from the anonymous one.
    const get = await request(`${server.url}/graphql?query=${encodeURIComponent(print(Shared))}`, {
      headers: { [SHARE_HEADER]: link.token, accept: 'application/json' },
    });
    const body = (await get.body.json()) as { data: { sharedAlbum: { title: string } } };
    assert.equal(body.data.sharedAlbum.title, 'Trip');
    assert.equal(get.headers['cache-control'], 'private, no-store');
    assert.equal(get.headers.etag, undefined);

    await revokeShareLinkAsAdmin(server, link.id);
    for (const url of urls) assert.equal(await status(url), 404, url);
    const refused = await postGraphQL(server.url, Shared, {}, { [SHARE_HEADER]: link.token });
    assert.equal(refused.status, 404);
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'SHARE_LINK_NOT_FOUND');
  });

  it('an expired link ends the same way, with nobody acting', async () => {
    // Time enough for the first round on any machine; then the server's clock is moved just past the expiry.
    const expiresAt = clock.now() + 60_000;
    const link = await newLink({ expiresAt: new Date(expiresAt).toISOString() });
    const urls = await urlsFor(link.token);
    for (const url of urls) assert.equal(await status(url), 200);
    assert.ok(clock.now() < expiresAt, 'the first round ran before the expiry');
    clock.advance(expiresAt - clock.now() + 1);
    for (const url of urls) assert.equal(await status(url), 404, url);
    assert.equal((await postGraphQL(server.url, Shared, {}, { [SHARE_HEADER]: link.token })).status, 404);
  });

  it('a photo taken out of the shared album 404s under the link; the rest still loads', async () => {
    const link = await newLink();
    const urls = await urlsFor(link.token);
    const [firstThumb] = urls.filter((url) => url.includes('/thumb.jpg'));
    const secondId = photoIds.second as string;
    const secondPublicId = Buffer.from(secondId, 'base64').toString('utf8').split(':')[1] as string;
    const secondUrls = urls.filter((url) => url.includes(secondPublicId));
    const others = urls.filter((url) => !url.includes(secondPublicId));
    assert.ok(firstThumb && secondUrls.length === 2 && others.length === 2);
    await postGraphQL(server.url, Remove, { album: albumId, photo: secondId }, server.admin);
    for (const url of secondUrls) assert.equal(await status(url), 404, url);
    for (const url of others) assert.equal(await status(url), 200, url);
  });

  it('`lightbox share --revoke` from another process ends the link for the running server at once', async () => {
    const env = { LIGHTBOX_DATA_DIR: server.dataDir };
    const made = await runCli(['share', 'Trip', '--expires', '7d', '--label', 'for Ann'], {
      ...env,
      LIGHTBOX_PUBLIC_URL: 'https://photos.example.com/',
    });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /https:\/\/photos\.example\.com\/s\/[A-Za-z0-9_-]{32}/, 'the link starts with LIGHTBOX_PUBLIC_URL');
    const token = /\/s\/([A-Za-z0-9_-]{32})/.exec(made.stdout)?.[1] as string;
    const id = /--revoke (\S+)`/.exec(made.stdout)?.[1] as string;
    assert.ok(token && id, made.stdout);
    const urls = await urlsFor(token);
    for (const url of urls) assert.equal(await status(url), 200);
    const list = await runCli(['share', '--list'], env);
    assert.match(list.stdout, new RegExp(`ACTIVE +Trip "for Ann" +/s/${token.slice(0, 6)}…`));
    assert.ok(!list.stdout.includes(token), 'a list never shows a token');
    const revoked = await runCli(['share', '--revoke', id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    for (const url of urls) assert.equal(await status(url), 404, url);
    assert.match((await runCli(['share', '--list'], env)).stdout, /REVOKED/);
  });

  it('`lightbox share --password` reads the password from stdin; the link then needs it', async () => {
    const env = { LIGHTBOX_DATA_DIR: server.dataDir };
    const made = await runCli(['share', albumId, '--password'], env, 60_000, 'open sesame\n');
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /password protected/);
    const token = /\/s\/([A-Za-z0-9_-]{32})/.exec(made.stdout)?.[1] as string;
    const locked = await postGraphQL(server.url, Shared, {}, { [SHARE_HEADER]: token });
    assert.equal(locked.body.errors?.[0]?.extensions?.code, 'SHARE_PASSWORD_REQUIRED');
    const unlocked = dataOf(await postGraphQL(server.url, Unlock, { token, password: 'open sesame' })).unlockShareLink;
    assert.equal(unlocked.__typename, 'ShareUnlock');
    const empty = await runCli(['share', 'Trip', '--password'], env, 60_000, '\n');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /password must not be empty/);
  });
});

describe('share links under attack', () => {
  let server: TestServer;
  let token = '';
  let publicImage = '';

  before(async () => {
    server = await startTestServer({ LIGHTBOX_SERVER_TIMING: '1' });
    const built = await buildLibrary(server.dataDir, {
      albums: { Secret: 'PRIVATE', Open: 'PUBLIC' },
      photos: {
        hidden: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0010.jpg'), albums: ['Secret'] },
        shown: { file: path.join(FIXTURE_PHOTOS, 'gps/DSCN0021.jpg'), albums: ['Open'] },
      },
    });
    publicImage = `${server.url}/images/${built.photos.shown}/thumb.jpg`;
    token = (
      await createShareLinkAsAdmin(server, { albumId: encodeGlobalID('Album', built.albums.Secret as string), password: 'the right one' })
    ).token;
  });
  after(() => server.close());

  it('1,000 wrong passwords in a loop are rate-limited after the first few, while other requests keep being answered', async () => {
    const outcomes = new Map<string, number>();
    let retryAfter = 0;
    let othersAnswered = 0;
    let guessing = true;
    const others = (async () => {
      while (guessing) {
        assert.equal(await status(publicImage), 200);
        othersAnswered++;
      }
    })();
    for (let attempt = 0; attempt < 1000; attempt++) {
      const result = dataOf(await postGraphQL(server.url, Unlock, { token, password: `guess ${attempt}` })).unlockShareLink;
      outcomes.set(result.__typename, (outcomes.get(result.__typename) ?? 0) + 1);
      if (result.__typename === 'RateLimitedError') retryAfter = result.retryAfterSeconds;
    }
    guessing = false;
    await others;
    assert.equal(outcomes.get('WrongPasswordError'), 10, 'ten passwords are hashed and checked from one address');
    assert.equal(outcomes.get('RateLimitedError'), 990, 'the rest are refused without hashing');
    assert.ok(retryAfter > 0 && retryAfter <= 600, `says when to retry (${retryAfter} s)`);
    assert.ok(othersAnswered > 0, 'image requests were answered throughout');
    const right = dataOf(await postGraphQL(server.url, Unlock, { token, password: 'the right one' })).unlockShareLink;
    assert.equal(right.__typename, 'RateLimitedError', 'while limited, even the right password waits');
  });

  it('10,000 random tokens find nothing, each answered like any 404, with one indexed lookup', async () => {
    const agent = new Agent({ connections: 8 });
    try {
      const unknown = await request(`${server.url}/s/${'Q'.repeat(32)}`, { dispatcher: agent });
      const expected = await unknown.body.text();
      assert.equal(unknown.statusCode, 404);
      let next = 0;
      const worker = async () => {
        while (next < 10_000) {
          next++;
          const guess = randomBytes(24).toString('base64url');
          const response = await request(`${server.url}/s/${guess}`, { dispatcher: agent });
          assert.equal(response.statusCode, 404);
          assert.equal(await response.body.text(), expected);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      await agent.close();
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const refused = await postGraphQL(server.url, Shared, {}, { [SHARE_HEADER]: randomBytes(24).toString('base64url') });
      assert.equal(refused.status, 404);
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'SHARE_LINK_NOT_FOUND');
      assert.equal(sqlStatements(refused.headers), 1, 'one statement');
    }
    const { database } = await openStore({ dataDir: server.dataDir }, { create: true });
    try {
      const plan = database.sqlite.prepare('EXPLAIN QUERY PLAN SELECT * FROM share_links WHERE token_hash = ?').all('0'.repeat(64)) as {
        detail: string;
      }[];
      assert.match(plan.map((row) => row.detail).join('\n'), /SEARCH share_links USING INDEX/, 'the lookup is an index search');
    } finally {
      database.close();
    }
  });
});
