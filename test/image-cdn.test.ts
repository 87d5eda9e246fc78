import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { readdir, readFile, utimes } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { request } from 'undici';
import { STAT_TRUSTED_MS } from '../src/http/image-route.ts';
import { renderRendition } from '../src/media/render-queue.ts';
import { StorageLayout } from '../src/storage/layout.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { movableClock } from './helpers/clock.ts';
import { type StoredPhoto, storedPhoto } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { untilEvent } from './helpers/wait.ts';

async function fetchBytes(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const response = await request(url, { headers, method });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

function openDescriptors(): Promise<number> {
  return readdir('/proc/self/fd').then((entries) => entries.length);
}

/** The server's side of every connection accepted in this process from now on (Node's `net.server.socket` channel). */
function serverConnections() {
  const open = new Set<Socket>();
  const closed = new EventEmitter();
  const accepted = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      closed.emit('close');
    });
  };
  subscribe('net.server.socket', accepted);
  return {
    /** Resolves once the server has closed every one of them (each file stream it was sending is then being closed). */
    allClosed: () =>
      untilEvent(
        closed,
        'close',
        () => open.size === 0,
        () => `the server to close ${open.size} connections`,
        10_000,
      ),
    stop: () => unsubscribe('net.server.socket', accepted),
  };
}

/**
 * Open descriptors once the closes the server has started have landed: counted again after each
 * count (no timer) until it is `target` or fewer, or stops falling when there is no target yet.
 */
async function settledDescriptors(target?: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let count = await openDescriptors();
  while ((target === undefined || count > target) && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
    const next = await openDescriptors();
    if (target === undefined && next >= count) break;
    count = next;
  }
  return count;
}

describe('image CDN: derivatives, negotiation, ranges, caching', () => {
  let server: TestServer;
  let landscape: StoredPhoto;
  let big: StoredPhoto;
  let base: string;
  /** Renders actually run, by destination: counted where the render queue calls its renderer. */
  const renders = new Map<string, number>();

  // Moved on past the second the route trusts a stat for, instead of waiting it out.
  const clock = movableClock();

  before(async () => {
    server = await startTestServer(
      {},
      {
        clock: clock.now,
        render: (request, limits) => {
          renders.set(request.destination, (renders.get(request.destination) ?? 0) + 1);
          return renderRendition(request, limits);
        },
      },
    );
    const source = await makeTempDir('lightbox-cdn-src-');
    await writeFixtures(source);
    const result = await runCli(['import', source, '--public'], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    landscape = storedPhoto(server.dataDir, 'Landscape_6.jpg');
    big = storedPhoto(server.dataDir, 'big.png');
    base = `${server.url}/images/${landscape.publicId}`;
  });

  after(() => server.close());

  async function writeFixtures(dir: string) {
    const { copyFile, writeFile } = await import('node:fs/promises');
    await copyFile(path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_6.jpg'), path.join(dir, 'Landscape_6.jpg'));
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), path.join(dir, 'DSCN0010.jpg'));
    // ~3 MB of noise: large enough that a download is cut off mid-body.
    const png = await sharp({
      create: { width: 1000, height: 1000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    await writeFile(path.join(dir, 'big.png'), png);
  }

  it('renders each derived variant upright, at its size, in the format asked for', async () => {
    const cases = [
      ['thumb.webp', 'image/webp', 'webp', 256, 256],
      ['small.jpg', 'image/jpeg', 'jpeg', 640, 427],
      ['medium.avif', 'image/avif', 'heif', 1280, 853],
      ['large.webp', 'image/webp', 'webp', 1800, 1200],
    ] as const;
    for (const [name, contentType, sharpFormat, width, height] of cases) {
      const response = await fetchBytes(`${base}/${name}?v=${landscape.v}`);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers['content-type'], contentType);
      const metadata = await sharp(response.body).metadata();
      assert.equal(metadata.format, sharpFormat, name);
      assert.deepEqual([metadata.width, metadata.height], [width, height], `${name} is upright and never upscaled`);
      assert.equal(metadata.orientation, undefined, `${name} carries no orientation tag`);
    }
  });

  it('strips metadata from derivatives: no EXIF, no GPS', async () => {
    const gps = storedPhoto(server.dataDir, 'DSCN0010.jpg');
    const original = await sharp(await readFile(gps.file)).metadata();
    assert.ok(original.exif, 'the original has EXIF');
    for (const name of ['thumb.jpg', 'medium.webp', 'small.avif']) {
      const response = await fetchBytes(`${server.url}/images/${gps.publicId}/${name}`);
      const metadata = await sharp(response.body).metadata();
      assert.equal(metadata.exif, undefined, name);
      assert.equal(metadata.xmp, undefined, name);
      assert.ok(metadata.space === 'srgb', `${name} is sRGB`);
    }
  });

  it('renders a missing derivative once, however many requests arrive together', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => fetchBytes(`${base}/small.webp`)));
    assert.ok(responses.every((response) => response.status === 200));
    const smallWebp = [...renders].filter(([destination]) => destination.endsWith(`${landscape.publicId}/small.v1.webp`));
    assert.deepEqual(
      smallWebp.map(([, count]) => count),
      [1],
      'twenty requests together, one render',
    );
    assert.equal(new Set(responses.map((response) => response.headers.etag)).size, 1, 'and one ETag');
    assert.deepEqual(await readdir(path.join(server.dataDir, 'tmp')), [], 'no temp file is left behind');
  });

  it('extensionless URLs pick the format from Accept and always vary on it', async () => {
    const cases: [string | undefined, string][] = [
      ['image/avif,image/webp,*/*;q=0.8', 'image/avif'],
      ['image/webp,*/*', 'image/webp'],
      ['*/*', 'image/jpeg'],
      [undefined, 'image/jpeg'],
    ];
    for (const [accept, contentType] of cases) {
      const response = await fetchBytes(`${base}/thumb?v=${landscape.v}`, accept === undefined ? {} : { accept });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], contentType, String(accept));
      assert.equal(response.headers.vary, 'Accept');
      const revalidated = await fetchBytes(`${base}/thumb?v=${landscape.v}`, {
        ...(accept ? { accept } : {}),
        'if-none-match': String(response.headers.etag),
      });
      assert.equal(revalidated.status, 304);
      assert.equal(revalidated.headers.vary, 'Accept');
    }
    const missing = await fetchBytes(`${server.url}/images/AAAAAAAAAAAAAAAAAAAAAA/thumb`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.vary, 'Accept', 'the 404 of an extensionless URL varies too');
    const withExtension = await fetchBytes(`${base}/thumb.jpg`);
    assert.equal(withExtension.headers.vary, undefined);
  });

  it('refuses what is not in the closed set: a name it does not hold is a missing file (404), as a static file server says', async () => {
    for (const name of ['thumb.gif', 'huge.jpg', 'original.webp', 'thumb.JPG', '1024x768.jpg', 'thumb.w=4000.jpg']) {
      assert.equal((await fetchBytes(`${base}/${name}`)).status, 404, name);
    }
  });

  it('304 and 206 repeat ETag, Cache-Control, Expires and Vary of the 200', async () => {
    const full = await fetchBytes(`${base}/medium?v=${landscape.v}`, { accept: 'image/webp' });
    assert.equal(full.status, 200);
    assert.ok(full.headers.expires, 'immutable responses carry Expires');
    assert.ok(Date.parse(String(full.headers.expires)) > Date.now() + 364 * 24 * 3600 * 1000);
    const notModified = await fetchBytes(`${base}/medium?v=${landscape.v}`, {
      accept: 'image/webp',
      'if-none-match': String(full.headers.etag),
    });
    const partial = await fetchBytes(`${base}/medium?v=${landscape.v}`, { accept: 'image/webp', range: 'bytes=0-9' });
    for (const response of [notModified, partial]) {
      for (const name of ['etag', 'cache-control', 'vary']) {
        assert.equal(response.headers[name], full.headers[name], `${response.status} ${name}`);
      }
      // Expires is a year from each answer: the same, unless a second ticked between them.
      const drift = Date.parse(String(response.headers.expires)) - Date.parse(String(full.headers.expires));
      assert.ok(drift >= 0 && drift <= 1000, `${response.status} expires ${drift} ms later`);
    }
    assert.equal(notModified.body.length, 0);
    assert.equal(notModified.headers['content-length'], undefined, 'a 304 never says Content-Length: 0');
  });

  it('answers single, suffix and open-ended ranges with 206 and the exact bytes', async () => {
    const url = `${server.url}/images/${big.publicId}/original.png`;
    const whole = (await fetchBytes(url)).body;
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=-100', whole.length - 100, whole.length - 1],
      [`bytes=${whole.length - 10}-`, whole.length - 10, whole.length - 1],
      [`bytes=100-${whole.length + 500}`, 100, whole.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await fetchBytes(url, { range });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers['content-range'], `bytes ${start}-${end}/${whole.length}`);
      assert.equal(response.headers['content-length'], String(end - start + 1));
      assert.ok(response.body.equals(whole.subarray(start, end + 1)), range);
    }
    const small = await fetchBytes(`${base}/thumb.jpg`, { range: 'bytes=2-5' });
    assert.equal(small.status, 206, 'ranges work on memory-cached files too');
    assert.equal(small.body.length, 4);
  });

  it('answers multiple ranges as multipart/byteranges', async () => {
    const url = `${server.url}/images/${big.publicId}/original.png`;
    const whole = (await fetchBytes(url)).body;
    const response = await fetchBytes(url, { range: 'bytes=0-9, 100-199, -5' });
    assert.equal(response.status, 206);
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(String(response.headers['content-type']))?.[1];
    assert.ok(boundary);
    assert.equal(response.headers['content-length'], String(response.body.length));
    const parts = response.body.toString('latin1').split(`--${boundary}`).slice(1, -1);
    const expected: [number, number][] = [
      [0, 9],
      [100, 199],
      [whole.length - 5, whole.length - 1],
    ];
    assert.equal(parts.length, 3);
    parts.forEach((part, index) => {
      const [start, end] = expected[index] as [number, number];
      const [head = '', body = ''] = part.split('\r\n\r\n');
      assert.match(head, new RegExp(`Content-Range: bytes ${start}-${end}/${whole.length}`));
      assert.match(head, /Content-Type: image\/png/);
      assert.ok(Buffer.from(body.replace(/\r\n$/, ''), 'latin1').equals(whole.subarray(start, end + 1)));
    });
  });

  it('416 for unsatisfiable ranges; malformed ranges and HEAD get the whole file', async () => {
    const url = `${server.url}/images/${big.publicId}/original.png`;
    const size = (await fetchBytes(url)).body.length;
    const unsatisfiable = await fetchBytes(url, { range: `bytes=${size}-` });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers['content-range'], `bytes */${size}`);
    const versioned = await fetchBytes(`${url}?v=${big.v}`, { range: `bytes=${size}-` });
    assert.equal(versioned.status, 416);
    assert.equal(versioned.headers['cache-control'], 'no-store', 'a 416 is never cached, even on an immutable URL');
    for (const range of ['bytes=5-1', 'bytes=x-y', 'lines=1-2']) {
      const response = await fetchBytes(url, { range });
      assert.equal(response.status, 200, range);
      assert.equal(response.body.length, size);
    }
    const head = await fetchBytes(url, { range: 'bytes=0-9' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(size));
  });

  it('honours Range only when If-Range still matches; 304 wins over Range', async () => {
    const url = `${base}/original.jpg`;
    await fetchBytes(url);
    // A Last-Modified less than a second old is weak and never matches If-Range: age the copy first.
    const copy = new StorageLayout(server.dataDir).derivedPath(landscape.publicId, 'original', landscape.version, 'jpg');
    const past = new Date(Date.now() - 60_000);
    await utimes(copy, past, past);
    clock.advance(STAT_TRUSTED_MS + 1);
    const first = await fetchBytes(url);
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    assert.equal((await fetchBytes(url, { range: 'bytes=0-9', 'if-range': etag })).status, 206);
    assert.equal((await fetchBytes(url, { range: 'bytes=0-9', 'if-range': lastModified })).status, 206);
    assert.equal((await fetchBytes(url, { range: 'bytes=0-9', 'if-range': '"stale"' })).status, 200);
    assert.equal((await fetchBytes(url, { range: 'bytes=0-9', 'if-range': `W/${etag}` })).status, 200);
    assert.equal((await fetchBytes(url, { range: 'bytes=0-9', 'if-none-match': etag })).status, 304);
    assert.equal((await fetchBytes(url, { 'if-match': '"stale"' })).status, 412);
    assert.equal((await fetchBytes(url, { 'if-match': etag })).status, 200);
  });

  it('aborted downloads, mid-body and at the first byte, leak no file descriptors', async () => {
    const { port } = new URL(server.url);
    const path = `/images/${big.publicId}/original.png`;
    const abortAfter = async (firstByteOnly: boolean) => {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        });
        let received = 0;
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (firstByteOnly || received > 64 * 1024) socket.destroy();
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    };
    const connections = serverConnections();
    try {
      // Warm up: the first request opens lazily created handles that stay.
      await abortAfter(true);
      await connections.allClosed();
      const before = await settledDescriptors();
      for (let i = 0; i < 50; i++) await abortAfter(false);
      for (let i = 0; i < 50; i++) await abortAfter(true);
      // Waited for: the server seeing every client go (not a guess at how long that takes).
      await connections.allClosed();
      const after = await settledDescriptors(before);
      assert.equal(after, before, `descriptors before ${before}, after ${after}`);
    } finally {
      connections.stop();
    }
  });

  it('a touched derivative shows its new ETag once the stat it answered from is older than a second', async () => {
    const url = `${base}/thumb.webp`;
    const first = await fetchBytes(url);
    const file = (await readdir(path.join(server.dataDir, 'derived'), { recursive: true })).find((name) => name.endsWith('thumb.v1.webp'));
    assert.ok(file);
    const later = new Date(Date.now() + 3_000);
    await utimes(path.join(server.dataDir, 'derived', file), later, later);
    clock.advance(STAT_TRUSTED_MS + 1);
    const second = await fetchBytes(url, { 'if-none-match': String(first.headers.etag) });
    assert.equal(second.status, 200);
    assert.notEqual(second.headers.etag, first.headers.etag);
  });
});

describe('image CDN under render pressure', () => {
  it('past the render queue limit the answer is 503 with Retry-After, and the server recovers', async () => {
    const server = await startTestServer({ LIGHTBOX_RENDER_CONCURRENCY: '1', LIGHTBOX_RENDER_QUEUE: '1' });
    try {
      const result = await runCli(['import', path.join(FIXTURE_PHOTOS, 'orientation'), '--public'], { LIGHTBOX_DATA_DIR: server.dataDir });
      assert.equal(result.code, 0);
      const ids = ['Landscape_1.jpg', 'Landscape_2.jpg', 'Landscape_3.jpg', 'Portrait_1.jpg', 'Portrait_2.jpg', 'Portrait_3.jpg'].map(
        (name) => storedPhoto(server.dataDir, name).publicId,
      );
      const urls = ids.map((id) => `${server.url}/images/${id}/large.webp`);
      const first = await Promise.all(urls.map((url) => fetchBytes(url)));
      const busy = first.filter((response) => response.status === 503);
      assert.ok(busy.length >= 1, 'some requests were refused');
      assert.ok(
        first.every((response) => response.status === 200 || response.status === 503),
        first.map((r) => r.status).join(),
      );
      for (const response of busy) assert.equal(response.headers['retry-after'], '2');
      for (const url of urls) assert.equal((await fetchBytes(url)).status, 200, 'once the queue drains, every rendition loads');
    } finally {
      await server.close();
    }
  });
});
