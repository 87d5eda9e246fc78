import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import exifr from 'exifr';
import sharp from 'sharp';
import { request } from 'undici';
import { STAT_TRUSTED_MS } from '../src/http/image-route.ts';
import { StorageLayout } from '../src/storage/layout.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { movableClock } from './helpers/clock.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { type StoredPhoto, storedPhoto } from './helpers/photos.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const OriginalUrl = graphql(`
  query OriginalUrl($id: ID!) {
    photo(id: $id) {
      image(variant: ORIGINAL) {
        url
      }
    }
  }
`);

describe('image route: /images/<photoId>/original.<ext>', () => {
  let server: TestServer;
  let photo: StoredPhoto;
  let imageUrl: string;
  let globalId: string;

  // Moved on past the second the route trusts a stat for, instead of waiting it out.
  const clock = movableClock();

  before(async () => {
    server = await startTestServer({}, { clock: clock.now });
    const imported = await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--public'], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(imported.code, 0, imported.stderr);
    photo = storedPhoto(server.dataDir, 'DSCN0010.jpg');
    globalId = encodeGlobalID('Photo', photo.publicId);
    imageUrl = `${server.url}/images/${photo.publicId}/original.jpg`;
  });

  after(() => server.close());

  /** Where the copy anyone but the admin receives is kept, once made. */
  const publicCopy = () => new StorageLayout(server.dataDir).derivedPath(photo.publicId, 'original', photo.version, 'jpg');

  it('serves anyone the original without its metadata, and only the admin the uploaded bytes, with stat-derived validators', async () => {
    const source = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'));
    const validators = async (file: string) => {
      const stats = await stat(file);
      return {
        etag: `"${createHash('md5').update(`${stats.mtimeMs}-${stats.size}`).digest('hex')}"`,
        lastModified: new Date(stats.mtimeMs).toUTCString(),
        length: String(stats.size),
      };
    };

    const response = await request(imageUrl);
    const body = Buffer.from(await response.body.arrayBuffer());
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'image/jpeg');
    assert.equal(response.headers['cache-control'], 'public, no-cache');
    assert.ok(!body.equals(source), 'anyone gets a copy, not the uploaded bytes');
    assert.deepEqual(await sharp(body).raw().toBuffer(), await sharp(source).raw().toBuffer(), 'the very same pixels, losslessly');
    assert.equal(await exifr.gps(body).catch(() => undefined), undefined, 'and no GPS');
    const copy = await validators(publicCopy());
    assert.deepEqual(
      { etag: response.headers.etag, lastModified: response.headers['last-modified'], length: response.headers['content-length'] },
      copy,
    );

    const adminUrl = dataOf(await postGraphQL(server.url, OriginalUrl, { id: globalId }, server.admin)).photo?.image.url;
    assert.match(String(adminUrl), /&g=original$/, 'the admin is handed a URL granting the untouched original');
    const admin = await request(`${server.url}${adminUrl}`);
    const adminBody = Buffer.from(await admin.body.arrayBuffer());
    assert.equal(admin.statusCode, 200);
    assert.ok(adminBody.equals(source), 'the admin gets the uploaded bytes');
    const original = await validators(photo.file);
    assert.deepEqual(
      { etag: admin.headers.etag, lastModified: admin.headers['last-modified'], length: admin.headers['content-length'] },
      original,
    );
    assert.match(String(admin.headers['cache-control']), /^private, max-age=\d+, immutable$/);

    const anonymousUrl = dataOf(await postGraphQL(server.url, OriginalUrl, { id: globalId })).photo?.image.url;
    assert.equal(anonymousUrl, `/images/${photo.publicId}/original.jpg?v=${photo.v}`, 'anyone else a plain URL to the copy');
    // A view signature (all another viewer could hold) does not open the uploaded bytes: the grant is signed too.
    const forged = String(adminUrl).replace('&g=original', '');
    const forgedResponse = await request(`${server.url}${forged}&g=original`.replace(/sig=[^&]+/, 'sig=AAAA'));
    await forgedResponse.body.dump();
    assert.equal(forgedResponse.statusCode, 404);
  });

  it('is immutable for a year only with the current version', async () => {
    const current = await request(`${imageUrl}?v=${photo.v}`);
    await current.body.dump();
    assert.equal(current.headers['cache-control'], 'public, max-age=31536000, immutable');
    const stale = await request(`${imageUrl}?v=${photo.version + 1}`);
    await stale.body.dump();
    assert.equal(stale.headers['cache-control'], 'public, no-cache');
  });

  it('revalidates to 304 with no body, repeating the validators and nothing else (RFC 9110 §15.4.5)', async () => {
    const first = await request(imageUrl);
    await first.body.dump();
    const etag = String(first.headers.etag);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const response = await request(imageUrl, { headers: { 'if-none-match': ifNoneMatch } });
      const body = await response.body.text();
      assert.equal(response.statusCode, 304, ifNoneMatch);
      assert.equal(body, '');
      assert.equal(response.headers.etag, etag);
      assert.equal(response.headers['cache-control'], 'public, no-cache');
      assert.equal(response.headers['content-length'], undefined);
      // Representation metadata a cache does not update from stays out of a 304.
      for (const field of ['last-modified', 'content-type', 'accept-ranges', 'x-content-type-options']) {
        assert.equal(response.headers[field], undefined, field);
      }
    }
    const changed = await request(imageUrl, { headers: { 'if-none-match': '"something-else"' } });
    await changed.body.dump();
    assert.equal(changed.statusCode, 200);
  });

  it('answers If-Modified-Since only when If-None-Match is absent', async () => {
    const first = await request(imageUrl);
    await first.body.dump();
    const lastModified = String(first.headers['last-modified']);
    const notModified = await request(imageUrl, { headers: { 'if-modified-since': lastModified } });
    await notModified.body.dump();
    assert.equal(notModified.statusCode, 304);
    const overridden = await request(imageUrl, { headers: { 'if-modified-since': lastModified, 'if-none-match': '"x"' } });
    await overridden.body.dump();
    assert.equal(overridden.statusCode, 200);
  });

  it('shows a new ETag once the stat it answered from is older than a second', async () => {
    const before = await request(imageUrl);
    await before.body.dump();
    const later = new Date(Date.now() + 5_000);
    await utimes(publicCopy(), later, later);
    clock.advance(STAT_TRUSTED_MS + 1);
    const after = await request(imageUrl, { headers: { 'if-none-match': String(before.headers.etag) } });
    await after.body.dump();
    assert.equal(after.statusCode, 200);
    assert.notEqual(after.headers.etag, before.headers.etag);
  });

  it('HEAD sends the GET headers and no body', async () => {
    const get = await request(imageUrl);
    await get.body.dump();
    const head = await request(imageUrl, { method: 'HEAD' });
    assert.equal(await head.body.text(), '');
    assert.equal(head.statusCode, 200);
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control']) {
      assert.equal(head.headers[name], get.headers[name], name);
    }
  });

  it('refuses other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS'] as const) {
      const response = await request(imageUrl, { method });
      await response.body.dump();
      assert.equal(response.statusCode, 405, method);
      assert.equal(response.headers.allow, 'GET, HEAD');
    }
  });

  it('404s an unknown photo, a wrong extension and an unknown variant alike', async () => {
    for (const pathname of [
      '/images/AAAAAAAAAAAAAAAAAAAAAA/original.jpg',
      `/images/${photo.publicId}/original.png`,
      `/images/${photo.publicId}/huge.jpg`,
    ]) {
      const response = await request(`${server.url}${pathname}`);
      assert.equal(response.statusCode, 404, pathname);
      assert.equal(await response.body.text(), 'Not found\n');
      assert.match(String(response.headers['cache-control']), /max-age=60/);
    }
  });

  it('404s any file name under a photo that is not one of its renditions, as a static file server would', async () => {
    /** Status, headers but Date, and body: all a client can tell two answers apart by. */
    const answer = async (pathname: string, method: 'GET' | 'HEAD') => {
      const response = await request(`${server.url}${pathname}`, { method });
      const { date: _date, ...headers } = response.headers;
      return { status: response.statusCode, headers, body: await response.body.text() };
    };
    for (const method of ['GET', 'HEAD'] as const) {
      const missing = await answer('/images/AAAAAAAAAAAAAAAAAAAAAA/thumb.webp', method);
      assert.equal(missing.status, 404);
      for (const pathname of [
        `/images/${photo.publicId}/Thumb.webp`,
        `/images/${photo.publicId}/thumb2x.webp`,
        `/images/${photo.publicId}/thumb_small.webp`,
        `/images/${photo.publicId}/thumb-small.webp`,
        `/images/${photo.publicId}/THUMB.WEBP`,
        `/images/${photo.publicId}/thumb.WEBP`,
        `/images/${photo.publicId}/thumb.`,
        `/images/${photo.publicId}/thumb.webp.jpg`,
        `/images/${photo.publicId}/.webp`,
        `/images/${photo.publicId}/favicon.ico`,
        '/images/not.an.id/thumb.webp',
        `/images/${photo.publicId}x/thumb.webp`,
      ]) {
        assert.deepEqual(await answer(pathname, method), missing, `${method} ${pathname}`);
      }
    }
  });

  it('answers 400 only to a path that cannot name a file under /images/<id>/', async () => {
    const { Client } = await import('undici');
    // A raw client, so the paths arrive exactly as written.
    const client = new Client(server.url);
    try {
      for (const pathname of [
        `/images/${photo.publicId}`,
        `/images/${photo.publicId}/`,
        `/images/${photo.publicId}/thumb.webp/more`,
        `/images/${photo.publicId}/..`,
        `/images/${photo.publicId}/.`,
        `/images/../${photo.publicId}/thumb.webp`,
        '/images//thumb.webp',
        `/images/${photo.publicId}/th%75mb.webp`,
        `/images/${photo.publicId}/thumb.webp%00`,
        `/images/${photo.publicId}/${'a'.repeat(200)}.webp`,
      ]) {
        const response = await client.request({ path: pathname, method: 'GET' });
        await response.body.dump();
        assert.equal(response.statusCode, 400, pathname);
      }
    } finally {
      await client.close();
    }
  });

  it('never lets a path reach the file system: traversal and malformed paths are 400 or 404', async () => {
    const { Client } = await import('undici');
    // A raw client, so the paths arrive exactly as written (fetch would normalise `..`).
    const client = new Client(server.url);
    try {
      for (const pathname of [
        '/images/../../etc/passwd',
        '/images/..%2f..%2fetc%2fpasswd',
        `/images/${photo.publicId}/..%2F..%2Flightbox.db`,
        `/images/${photo.publicId}/%2e%2e/original.jpg`,
        `/images/${photo.publicId}/original.jpg%00.png`,
        `/images/${photo.publicId}%2foriginal.jpg`,
        '/images/%252e%252e/%252e%252e/etc/passwd',
        '/images//etc/passwd',
        `/images/${'a'.repeat(4000)}/original.jpg`,
      ]) {
        const response = await client.request({ path: pathname, method: 'GET' });
        const body = await response.body.text();
        assert.ok([400, 404].includes(response.statusCode), `${pathname} → ${response.statusCode}`);
        assert.doesNotMatch(body, /root:|SQLite/);
      }
    } finally {
      await client.close();
    }
  });
});
