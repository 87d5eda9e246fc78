import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { request } from 'undici';
import { openDatabase } from '../src/db/client.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { storedPhoto } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

/** CRC-32 as PNG chunks need it. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 30000×30000 PNG of a few hundred bytes: 900 megapixels promised, a decompression bomb. */
function pngBomb(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(30_000, 0);
  header.writeUInt32BE(30_000, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const firstRows = deflateSync(Buffer.alloc(30_001 * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', firstRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose EXIF segment is noise. */
async function garbageExifJpeg(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } })
    .jpeg()
    .toBuffer();
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from('II*\0', 'latin1'), Buffer.alloc(200, 0xab)]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(payload.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), length, payload, jpeg.subarray(2)]);
}

function photoStates(dataDir: string): Map<string, { status: string; reason: string | null; takenAt: number | null }> {
  const handle = openDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true });
  try {
    const rows = handle.sqlite
      .prepare('SELECT original_filename AS name, status, failure_reason AS reason, taken_at AS takenAt FROM photos')
      .all() as {
      name: string;
      status: string;
      reason: string | null;
      takenAt: number | null;
    }[];
    return new Map(rows.map((row) => [row.name, row]));
  } finally {
    handle.close();
  }
}

describe('bad files: each gets a clear outcome, nothing else changes, the server keeps serving', () => {
  let server: TestServer;
  let output: string;
  let code: number | null;

  before(async () => {
    const source = await makeTempDir('lightbox-bad-src-');
    const fixture = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0040.jpg'));
    const base = sharp({
      create: { width: 320, height: 240, channels: 3, background: '#3366cc', noise: { type: 'gaussian', mean: 120, sigma: 30 } },
    });
    const frame = (colour: string) =>
      sharp({ create: { width: 40, height: 30, channels: 4, background: colour } })
        .png()
        .toBuffer();
    const files: [string, Buffer][] = [
      ['zero-bytes.jpg', Buffer.alloc(0)],
      ['truncated.jpg', fixture.subarray(0, Math.floor(fixture.length / 2))],
      ['text.jpg', Buffer.from('this is not a photo\n')],
      ['bomb.png', pngBomb()],
      [
        'animated.gif',
        await sharp([await frame('#ff0000'), await frame('#00ff00')], { join: { animated: true } })
          .gif()
          .toBuffer(),
      ],
      ['cmyk.jpg', await base.clone().toColourspace('cmyk').jpeg().toBuffer()],
      ['sixteen-bit.png', await base.clone().toColourspace('rgb16').png().toBuffer()],
      ['photo.heic', Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic', 'latin1'), Buffer.alloc(64)])],
      ['burst.heic', Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmsf1\0\0\0\0msf1hevc', 'latin1'), Buffer.alloc(64)])],
      [
        'fake.avif',
        Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from('ftypavif\0\0\0\0avifmif1miaf', 'latin1'), Buffer.alloc(200, 7)]),
      ],
      ['truncated.heic', (await readFile(path.join(FIXTURE_PHOTOS, 'heic', 'iphone-13-pro-max.heic'))).subarray(0, 300_000)],
      ['garbage-exif.jpg', await garbageExifJpeg()],
    ];
    for (const [name, bytes] of files) await writeFile(path.join(source, name), bytes);
    server = await startTestServer({ LIGHTBOX_WORKERS: '2', LIGHTBOX_JOB_RETRY_SECONDS: '0' });
    const result = await runCli(['import', source, '--public'], { LIGHTBOX_DATA_DIR: server.dataDir });
    output = result.stdout;
    code = result.code;
    // Asked again each time the worker settles a job, not on a timer.
    await server.afterJobs(
      () => ![...photoStates(server.dataDir).values()].some((photo) => photo.status === 'PENDING' || photo.status === 'PROCESSING'),
      'processing to finish',
      60_000,
    );
  });

  after(() => server.close());

  it('skips what is not an image, saying why', () => {
    assert.match(output, /zero-bytes\.jpg: skipped: the file is empty/);
    assert.match(output, /text\.jpg: skipped: not an image format/);
    assert.match(output, /burst\.heic: skipped: a HEIF\/AVIF image sequence or video, not a still image/);
  });

  it('a HEIF or AVIF whose bytes are not a picture fails at import with the reason; a truncated one fails its processing with one', () => {
    assert.match(output, /photo\.heic: FAILED: could not be decoded: not a readable HEIF file/);
    assert.match(output, /fake\.avif: FAILED: could not be decoded/);
    assert.equal(photoStates(server.dataDir).has('photo.heic'), false, 'no row for it');
    assert.equal(photoStates(server.dataDir).has('fake.avif'), false, 'no row for it');
    const truncated = photoStates(server.dataDir).get('truncated.heic');
    if (truncated !== undefined) {
      assert.equal(truncated.status, 'FAILED');
      assert.match(truncated.reason ?? '', /HEIF|decod/i);
    } else assert.match(output, /truncated\.heic: FAILED: could not be decoded/);
  });

  it('refuses a decompression bomb at import, naming the pixel limit', () => {
    assert.match(output, /bomb\.png: FAILED: could not be decoded: .*pixel limit/i);
    assert.equal(code, 1);
    assert.equal(photoStates(server.dataDir).has('bomb.png'), false, 'no row for it');
  });

  it('processes truncated, animated, CMYK, 16-bit and garbage-EXIF files to READY', () => {
    const states = photoStates(server.dataDir);
    for (const name of ['truncated.jpg', 'animated.gif', 'cmyk.jpg', 'sixteen-bit.png', 'garbage-exif.jpg']) {
      assert.equal(states.get(name)?.status, 'READY', `${name}: ${JSON.stringify(states.get(name))}`);
    }
    assert.equal(states.get('garbage-exif.jpg')?.takenAt, null);
  });

  it('renders them as ordinary sRGB images', async () => {
    for (const name of ['cmyk.jpg', 'sixteen-bit.png', 'animated.gif', 'truncated.jpg']) {
      const photo = storedPhoto(server.dataDir, name);
      const response = await request(`${server.url}/images/${photo.publicId}/thumb.jpg`);
      const bytes = Buffer.from(await response.body.arrayBuffer());
      assert.equal(response.statusCode, 200, name);
      const metadata = await sharp(bytes).metadata();
      assert.equal(metadata.space, 'srgb', name);
      assert.equal(metadata.depth, 'uchar', name);
      assert.equal(metadata.pages ?? 1, 1, `${name} rendition is a still image`);
    }
  });

  it('the server is still healthy', async () => {
    const health = await request(`${server.url}/healthz`);
    assert.equal(health.statusCode, 200);
    assert.equal(((await health.body.json()) as { status: string }).status, 'ok');
  });
});

describe('GraphQL GET parameters that are not JSON', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'info' });
  });
  after(() => server.close());

  it('answer 400 BAD_REQUEST, as a POST body that is not JSON does, with no stack and no error logged', async () => {
    for (const parameter of ['variables', 'extensions']) {
      const response = await request(
        `${server.url}/graphql?query=${encodeURIComponent('{__typename}')}&${parameter}=${encodeURIComponent('{bad')}`,
        {
          headers: { accept: 'application/graphql-response+json' },
        },
      );
      const text = await response.body.text();
      assert.equal(response.statusCode, 400, `${parameter}: ${text}`);
      const body = JSON.parse(text) as { errors: { message: string; extensions?: { code?: string } }[] };
      assert.equal(body.errors[0]?.extensions?.code, 'BAD_REQUEST', parameter);
      assert.match(body.errors[0]?.message ?? '', new RegExp(parameter), 'the message names the parameter');
      assert.doesNotMatch(text, /at |SyntaxError|stack/, 'nothing of the server inside');
    }
    assert.deepEqual(
      server.logs.filter((line) => line.level >= 50),
      [],
      'a client’s mistake is not the server’s error',
    );
  });
});
