import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { request } from 'undici';
import { isForbiddenAddress } from '../src/processing/special-addresses.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const ImportFromUrl = graphql(`
  mutation ImportFromUrl($url: String!) {
    importPhotoFromUrl(url: $url) {
      __typename
      ... on ImportPhotoPayload {
        result {
          __typename
          ... on UploadedPhoto {
            filename
            duplicate
            photo {
              title
              width
              status
            }
          }
          ... on RejectedUpload {
            code
            message
          }
        }
      }
      ... on UserError {
        code
        message
      }
      ... on ValidationError {
        field
      }
    }
  }
`);

describe('importPhotoFromUrl', () => {
  let origin: Server;
  let base: string;
  let allowed: TestServer;
  let guarded: TestServer;
  const slowOrigin = new EventEmitter();

  before(async () => {
    const jpeg = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0040.jpg'));
    const heic = await readFile(path.join(FIXTURE_PHOTOS, 'heic', 'portrait-1.heic'));
    origin = createServer((req, res) => {
      if (req.url === '/download?id=7') {
        // A HEIC behind a URL that names no format, sent as something generic: the bytes decide.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': heic.length });
        res.end(heic);
      } else if (req.url === '/photo.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.end(jpeg);
      } else if (req.url === '/hop') {
        res.writeHead(302, { location: '/photo.jpg' });
        res.end();
      } else if (req.url?.startsWith('/loop')) {
        res.writeHead(302, { location: `/loop${(req.url?.length ?? 0) + 1}` });
        res.end();
      } else if (req.url === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
      } else if (req.url === '/slow.jpg') {
        // A JPEG start, then a byte at a time: an origin that would keep an import going for hours.
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
        res.write(jpeg.subarray(0, 64));
        let sent = 64;
        const drip = setInterval(() => res.write(jpeg.subarray(sent, ++sent)), 200);
        req.socket.once('close', () => {
          clearInterval(drip);
          slowOrigin.emit('closed');
        });
        slowOrigin.emit('opened');
      } else if (req.url === '/text.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end('not an image');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    allowed = await startTestServer({ LIGHTBOX_IMPORT_ALLOW_HOSTS: '127.0.0.1' });
    guarded = await startTestServer();
  });

  after(async () => {
    await allowed.close();
    await guarded.close();
    await new Promise((resolve) => origin.close(resolve));
  });

  async function importUrl(server: TestServer, url: string) {
    return dataOf(await postGraphQL(server.url, ImportFromUrl, { url }, server.admin)).importPhotoFromUrl;
  }

  it('imports an image from an allowed local server, following a redirect', async () => {
    const result = await importUrl(allowed, `${base}/hop`);
    assert.equal(result.__typename, 'ImportPhotoPayload');
    const outcome = result.__typename === 'ImportPhotoPayload' ? result.result : undefined;
    assert.equal(outcome?.__typename, 'UploadedPhoto');
    assert.equal(outcome?.__typename === 'UploadedPhoto' && outcome.photo.title, 'photo');
    const again = await importUrl(allowed, `${base}/photo.jpg`);
    assert.equal(again.__typename === 'ImportPhotoPayload' && again.result.__typename === 'UploadedPhoto' && again.result.duplicate, true);
  });

  it('imports a HEIC, whatever its URL and Content-Type say', async () => {
    const result = await importUrl(allowed, `${base}/download?id=7`);
    const outcome = result.__typename === 'ImportPhotoPayload' ? result.result : undefined;
    assert.equal(outcome?.__typename, 'UploadedPhoto', JSON.stringify(result));
    assert.equal(outcome?.__typename === 'UploadedPhoto' && outcome.photo.width, 1200);
  });

  it('refuses private addresses, for the URL and for every redirect', async () => {
    const byName = base.replace('127.0.0.1', 'localhost');
    for (const url of [
      `${base}/photo.jpg`,
      `${byName}/photo.jpg`,
      'http://[::1]:9/x.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/x.jpg',
    ]) {
      const result = await importUrl(guarded, url);
      assert.equal(
        result.__typename === 'ImportPhotoPayload' && result.result.__typename === 'RejectedUpload' && result.result.code,
        'FORBIDDEN_ADDRESS',
        url,
      );
    }
    const redirected = await importUrl(allowed, `${base}/to-metadata`);
    assert.equal(
      redirected.__typename === 'ImportPhotoPayload' && redirected.result.__typename === 'RejectedUpload' && redirected.result.code,
      'FORBIDDEN_ADDRESS',
    );
  });

  it('bounds redirects and reports failures and non-images clearly', async () => {
    const loop = await importUrl(allowed, `${base}/loop`);
    assert.match(
      loop.__typename === 'ImportPhotoPayload' && loop.result.__typename === 'RejectedUpload' ? loop.result.message : '',
      /redirects/,
    );
    const missing = await importUrl(allowed, `${base}/nope.jpg`);
    assert.equal(
      missing.__typename === 'ImportPhotoPayload' && missing.result.__typename === 'RejectedUpload' && missing.result.code,
      'FETCH_FAILED',
    );
    const text = await importUrl(allowed, `${base}/text.jpg`);
    assert.equal(
      text.__typename === 'ImportPhotoPayload' && text.result.__typename === 'RejectedUpload' && text.result.code,
      'UNSUPPORTED_MEDIA',
    );
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x.jpg', 'not a url', 'http://user:pw@example.com/x.jpg']) {
      const result = await importUrl(allowed, url);
      assert.equal(result.__typename, 'ValidationError', url);
    }
  });

  it('stops an import at its deadline (LIGHTBOX_IMPORT_TIMEOUT_S), and the origin connection with it', { timeout: 20_000 }, async () => {
    const hurried = await startTestServer({ LIGHTBOX_IMPORT_ALLOW_HOSTS: '127.0.0.1', LIGHTBOX_IMPORT_TIMEOUT_S: '1' });
    try {
      const closed = once(slowOrigin, 'closed');
      const result = await importUrl(hurried, `${base}/slow.jpg`);
      assert.equal(result.__typename === 'ImportPhotoPayload' && result.result.__typename, 'RejectedUpload');
      const rejected =
        result.__typename === 'ImportPhotoPayload' && result.result.__typename === 'RejectedUpload' ? result.result : undefined;
      assert.equal(rejected?.code, 'FETCH_FAILED');
      assert.match(rejected?.message ?? '', /longer than 1 s/);
      await closed;
      assert.deepEqual(await readdir(path.join(hurried.dataDir, 'tmp')), [], 'nothing half-stored');
    } finally {
      await hurried.close();
    }
  });

  it('stops an import whose client went away', { timeout: 20_000 }, async () => {
    const opened = once(slowOrigin, 'opened');
    const closed = once(slowOrigin, 'closed');
    const client = new AbortController();
    const pending = request(`${allowed.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...allowed.admin },
      body: JSON.stringify({ query: print(ImportFromUrl), variables: { url: `${base}/slow.jpg` } }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    await opened;
    client.abort();
    await pending;
    // With LIGHTBOX_IMPORT_TIMEOUT_S at its default of 60 s, only the client leaving can end it this soon.
    await closed;
  });

  it('classifies addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
    ]) {
      assert.equal(isForbiddenAddress(address), true, address);
    }
    for (const address of ['93.184.216.34', '2606:4700::6810:85e5', '8.8.8.8']) assert.equal(isForbiddenAddress(address), false, address);
  });
});
