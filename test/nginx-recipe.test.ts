import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, watch } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { print } from 'graphql';
import { request } from 'undici';
import { oneProcessNginxConf } from '../bench/lib/nginx.ts';
import { freePort, listening } from '../bench/lib/ports.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, REPO_ROOT } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { createShareLinkAsAdmin, revokeShareLinkAsAdmin } from './helpers/share-links.ts';
import { untilEvent } from './helpers/wait.ts';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((candidate) => existsSync(candidate));
/** Skipped on a developer's machine without nginx; CI installs it (.ci/run), so there it always runs. */
const nginxSkip = NGINX !== undefined || process.env.CI ? false : 'nginx is not installed (apt-get install nginx)';

const Urls = graphql(`
  query RecipeUrls {
    photos(first: 10) {
      nodes {
        title
        thumb: image(variant: THUMB, format: JPG) {
          url
        }
      }
    }
  }
`);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(url, { headers });
  return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
}

describe('docs/nginx.conf: nginx caching in front of Lightbox', { skip: nginxSkip }, () => {
  let server: TestServer;
  let nginx: ChildProcess;
  let proxy = '';
  const urls: Record<string, string> = {};
  let shareId = '';
  let shareToken = '';

  before(async () => {
    if (NGINX === undefined) throw new Error('nginx is not installed: apt-get install -y nginx (Debian)');
    server = await startTestServer();
    const built = await buildLibrary(server.dataDir, {
      albums: { Open: 'PUBLIC', Closed: 'PRIVATE' },
      photos: {
        open: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] },
        closed: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), albums: ['Closed'] },
      },
    });
    const prefix = await makeTempDir('lightbox-nginx-');
    await mkdir(path.join(prefix, 'cache'));
    await mkdir(path.join(prefix, 'temp'));
    const port = await freePort();
    const upstream = new URL(server.url).port;
    // The recipe itself, with only what it says to change changed.
    const recipe = (await readFile(path.join(REPO_ROOT, 'docs', 'nginx.conf'), 'utf8'))
      .replace('/var/cache/nginx/lightbox', path.join(prefix, 'cache'))
      .replace('server 127.0.0.1:4000;', `server 127.0.0.1:${upstream};`)
      .replace('listen 80;', `listen 127.0.0.1:${port};`);
    await writeFile(path.join(prefix, 'lightbox.conf'), recipe);
    await writeFile(path.join(prefix, 'nginx.conf'), oneProcessNginxConf(prefix, `include ${path.join(prefix, 'lightbox.conf')};`));
    const test = spawnSync(NGINX, ['-t', '-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')]);
    assert.equal(test.status, 0, `nginx -t: ${test.stderr}`);
    nginx = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: 'ignore' });
    // nginx writes its pid into its pid file once its listening sockets are open (`nginx -t` leaves the file empty):
    // looked at each time the prefix changes (inotify) or nginx exits, never on a timer.
    const pidFile = path.join(prefix, 'nginx.pid');
    const changes = new EventEmitter();
    const watcher = watch(prefix, () => changes.emit('change'));
    nginx.once('exit', () => changes.emit('change'));
    try {
      await untilEvent(
        changes,
        'change',
        () => nginx.exitCode !== null || readFileSync(pidFile, 'utf8').trim() === String(nginx.pid),
        'nginx to write its pid file',
        10_000,
      );
    } finally {
      watcher.close();
    }
    if (nginx.exitCode !== null || !(await listening(port)))
      throw new Error(`nginx did not start: ${await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '')}`);
    proxy = `http://127.0.0.1:${port}`;

    const anonymous = dataOf(await postGraphQL(server.url, Urls, {}));
    urls.versioned = anonymous.photos.nodes.find((photo) => photo.title === 'open')?.thumb.url as string;
    urls.unversioned = `/images/${built.photos.open}/original.jpg`;
    urls.extensionless = `/images/${built.photos.open}/small?v=${new URL(urls.versioned, proxy).searchParams.get('v')}`;
    const admin = dataOf(await postGraphQL(server.url, Urls, {}, server.admin));
    urls.signed = admin.photos.nodes.find((photo) => photo.title === 'closed')?.thumb.url as string;
    const link = await createShareLinkAsAdmin(server, { albumId: encodeGlobalID('Album', built.albums.Closed as string) });
    shareId = link.id;
    shareToken = link.token;
    const shared = dataOf(await postGraphQL(server.url, Urls, {}, { 'x-lightbox-share': shareToken }));
    urls.shared = shared.photos.nodes.find((photo) => photo.title === 'closed')?.thumb.url as string;
    assert.ok(urls.versioned && urls.signed && urls.shared?.includes('&s='));
  });

  after(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      await new Promise<void>((done) => {
        nginx.once('exit', () => done());
        nginx.kill('SIGTERM');
      });
    }
    await server?.close();
  });

  it('a versioned image URL is stored: MISS, then HIT, with 304 and ranges answered from the cache', async () => {
    const first = await get(`${proxy}${urls.versioned}`);
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-cache'], 'MISS');
    const second = await get(`${proxy}${urls.versioned}`);
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.ok(second.body.equals(first.body));
    const etag = String(first.headers.etag);
    const revalidated = await get(`${proxy}${urls.versioned}`, { 'if-none-match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.headers['x-cache'], 'HIT');
    const range = await get(`${proxy}${urls.versioned}`, { range: 'bytes=0-99' });
    assert.equal(range.status, 206);
    assert.ok(range.body.equals(first.body.subarray(0, 100)));
  });

  it('an unversioned URL (what browsers revalidate) keeps its 304 and 206 through the proxy', async () => {
    const full = await get(`${proxy}${urls.unversioned}`);
    assert.equal(full.status, 200);
    assert.equal(full.headers['x-cache'], undefined, 'passed through, never stored');
    const revalidated = await get(`${proxy}${urls.unversioned}`, { 'if-none-match': String(full.headers.etag) });
    assert.equal(revalidated.status, 304);
    const range = await get(`${proxy}${urls.unversioned}`, { range: 'bytes=10-19' });
    assert.equal(range.status, 206);
    assert.ok(range.body.equals(full.body.subarray(10, 20)));
    const ifRange = await get(`${proxy}${urls.unversioned}`, { range: 'bytes=10-19', 'if-range': String(full.headers.etag) });
    assert.equal(ifRange.status, 206);
  });

  it('signed and share-link images are never served from the shared cache; a revoked link 404s through it at once', async () => {
    for (const url of [urls.signed, urls.shared] as string[]) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await get(`${proxy}${url}`);
        assert.equal(answer.status, 200, url);
        assert.notEqual(answer.headers['x-cache'], 'HIT', url);
        assert.match(String(answer.headers['cache-control']), /^private/);
      }
    }
    await revokeShareLinkAsAdmin(server, shareId);
    assert.equal((await get(`${proxy}${urls.shared}`)).status, 404);
  });

  it('a JPEG-only client never gets AVIF from an extensionless URL, whoever asked before', async () => {
    const avif = await get(`${proxy}${urls.extensionless}`, { accept: 'image/avif,image/webp,*/*' });
    assert.equal(avif.headers['content-type'], 'image/avif');
    const jpeg = await get(`${proxy}${urls.extensionless}`, { accept: 'image/jpeg' });
    assert.equal(jpeg.headers['content-type'], 'image/jpeg');
    assert.match(String(jpeg.headers.vary), /Accept/);
  });

  it('GraphQL GETs keep their ETag and 304', async () => {
    const query = `${proxy}/graphql?query=${encodeURIComponent(print(Urls))}`;
    const first = await get(query, { accept: 'application/json' });
    assert.equal(first.status, 200);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"/);
    const again = await get(query, { accept: 'application/json', 'if-none-match': etag });
    assert.equal(again.status, 304);
  });

  it('the gallery and its share pages pass through', async () => {
    assert.equal((await get(`${proxy}/`)).status, 200);
    assert.equal((await get(`${proxy}/s/${shareToken}`)).status, 404, 'revoked above');
  });
});
