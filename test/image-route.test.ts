import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { type StoredPhoto, storedPhoto } from './helpers/photos.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('image route: /images/<photoId>/original.<ext>', () => {
  let server: TestServer;
  let photo: StoredPhoto;
  let imageUrl: string;

  before(async () => {
    server = await startTestServer();
    const imported = await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--public'], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(imported.code, 0, imported.stderr);
    photo = storedPhoto(server.dataDir, 'DSCN0010.jpg');
    imageUrl = `${server.url}/images/${photo.publicId}/original.jpg`;
  });

  after(() => server.close());

  it('serves the original bytes with stat-derived validators', async () => {
    const response = await request(imageUrl);
    const body = Buffer.from(await response.body.arrayBuffer());
    const source = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'));
    const stats = await stat(photo.file);
    assert.equal(response.statusCode, 200);
    assert.ok(body.equals(source), 'the served bytes are the uploaded bytes');
    assert.equal(response.headers['content-type'], 'image/jpeg');
    assert.equal(response.headers['content-length'], String(source.length));
    assert.equal(response.headers.etag, `"${createHash('md5').update(`${stats.mtimeMs}-${stats.size}`).digest('hex')}"`);
    assert.equal(response.headers['last-modified'], new Date(stats.mtimeMs).toUTCString());
    assert.equal(response.headers['cache-control'], 'public, no-cache');
  });

  it('is immutable for a year only with the current version', async () => {
    const current = await request(`${imageUrl}?v=${photo.version}`);
    await current.body.dump();
    assert.equal(current.headers['cache-control'], 'public, max-age=31536000, immutable');
    const stale = await request(`${imageUrl}?v=${photo.version + 1}`);
    await stale.body.dump();
    assert.equal(stale.headers['cache-control'], 'public, no-cache');
  });

  it('revalidates to 304 with no body, repeating the validators', async () => {
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

  it('shows a new ETag as soon as the file is touched', async () => {
    const before = await request(imageUrl);
    await before.body.dump();
    const later = new Date(Date.now() + 5_000);
    await utimes(photo.file, later, later);
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
