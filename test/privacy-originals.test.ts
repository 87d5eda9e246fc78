import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import exifr from 'exifr';
import sharp from 'sharp';
import { request } from 'undici';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const AnonymousUrls = graphql(`
  query AnonymousUrls {
    photos(first: 100) {
      nodes {
        id
        title
        original: image(variant: ORIGINAL) {
          url
        }
        thumbAvif: image(variant: THUMB, format: AVIF) {
          url
        }
        thumbWebp: image(variant: THUMB, format: WEBP) {
          url
        }
        thumbJpg: image(variant: THUMB, format: JPG) {
          url
        }
        smallAvif: image(variant: SMALL, format: AVIF) {
          url
        }
        smallWebp: image(variant: SMALL, format: WEBP) {
          url
        }
        smallJpg: image(variant: SMALL, format: JPG) {
          url
        }
        mediumAvif: image(variant: MEDIUM, format: AVIF) {
          url
        }
        mediumWebp: image(variant: MEDIUM, format: WEBP) {
          url
        }
        mediumJpg: image(variant: MEDIUM, format: JPG) {
          url
        }
        largeAvif: image(variant: LARGE, format: AVIF) {
          url
        }
        largeWebp: image(variant: LARGE, format: WEBP) {
          url
        }
        largeJpg: image(variant: LARGE, format: JPG) {
          url
        }
        srcSetAvif: srcSet(format: AVIF)
        srcSetWebp: srcSet(format: WEBP)
        srcSetJpg: srcSet(format: JPG)
      }
    }
  }
`);

const AdminOriginals = graphql(`
  query AdminOriginals {
    photos(first: 100) {
      nodes {
        title
        image(variant: ORIGINAL) {
          url
        }
      }
    }
  }
`);

const SECRET_TAGS = /serial|^GPS|^latitude$|^longitude$/i;
const ACCEPTS = ['image/avif,image/webp,*/*', 'image/webp,*/*', '*/*'];

const EXIFR_OPTIONS = { tiff: true, exif: true, gps: true, interop: true, ifd1: true, makerNote: true, xmp: true, iptc: true, icc: false };

/**
 * Every tag that would give away where or with which camera a photo was taken. exifr reads
 * JPEG, PNG, AVIF and TIFF but not WebP, so the metadata blocks sharp finds in any format are
 * read too: EXIF as TIFF, XMP and IPTC as text.
 */
async function secretsIn(bytes: Buffer): Promise<string[]> {
  const tags = await exifr.parse(bytes, EXIFR_OPTIONS).catch(() => undefined);
  const found = Object.keys(tags ?? {}).filter((name) => SECRET_TAGS.test(name));
  const blocks = await sharp(bytes).metadata();
  if (blocks.exif !== undefined) {
    const tiff = blocks.exif.subarray(blocks.exif.toString('latin1', 0, 4) === 'Exif' ? 6 : 0);
    const inner = await exifr.parse(tiff, EXIFR_OPTIONS).catch(() => ({ unreadable: 'EXIF block' }));
    found.push(...Object.keys(inner ?? {}).filter((name) => SECRET_TAGS.test(name) || name === 'unreadable'));
  }
  for (const [name, block] of [
    ['XMP', blocks.xmp],
    ['IPTC', blocks.iptc],
  ] as const) {
    if (block !== undefined && /gps|serial|latitude|longitude/i.test(block.toString('latin1'))) found.push(`${name} block`);
  }
  return found;
}

/** A photo carrying everything a camera could leak: GPS, a body serial, a lens serial. */
async function leakyPhoto(file: string, format: 'jpeg' | 'png' | 'webp'): Promise<void> {
  const image = sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 90, g: 140, b: 200 } } }).withExif({
    IFD0: { Make: 'Leaky', Model: 'Camera 1' },
    IFD2: { BodySerialNumber: 'SN-0042-SECRET', LensSerialNumber: 'LENS-0099' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2976/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4002/100' },
  });
  await (format === 'jpeg' ? image.jpeg() : format === 'png' ? image.png() : image.webp()).toFile(file);
}

describe('privacy: no URL an anonymous caller can obtain carries GPS or a serial number', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
    for (const folder of ['gps', 'cameras', 'orientation']) {
      const summary = await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, folder), { public: true, album: 'Everything' });
      assert.equal(summary.failed.length, 0);
    }
    const made = path.join(await makeTempDir(), 'leaky');
    await mkdir(made);
    await leakyPhoto(path.join(made, 'leaky-jpeg.jpg'), 'jpeg');
    await leakyPhoto(path.join(made, 'leaky-png.png'), 'png');
    await leakyPhoto(path.join(made, 'leaky-webp.webp'), 'webp');
    await copyFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), path.join(made, 'gps-copy-of-DSCN0010.jpg'));
    assert.equal((await importIntoDataDir(server.dataDir, made, { public: true, album: 'Everything' })).failed.length, 0);
  });

  after(() => server.close());

  it('the uploaded bytes do carry them: only the admin receives those', async () => {
    const data = dataOf(await postGraphQL(server.url, AdminOriginals, {}, server.admin));
    const leaks = new Map<string, string[]>();
    for (const photo of data.photos.nodes) {
      const response = await request(`${server.url}${photo.image.url}`);
      assert.equal(response.statusCode, 200);
      leaks.set(photo.title, await secretsIn(Buffer.from(await response.body.arrayBuffer())));
    }
    for (const title of ['DSCN0010', 'DSCN0021', 'DSCN0040', 'leaky-jpeg', 'leaky-png', 'leaky-webp']) {
      assert.ok(
        (leaks.get(title) ?? []).some((tag) => /GPS|latitude/i.test(tag)),
        `${title} has GPS in its original`,
      );
    }
    for (const title of ['leaky-jpeg', 'leaky-png', 'leaky-webp']) {
      assert.ok(
        (leaks.get(title) ?? []).some((tag) => /serial/i.test(tag)),
        `${title} has a serial number in its original`,
      );
    }
  });

  it('every variant, format, srcset entry, extensionless and original URL is clean, for all 27 fixtures and the made ones', async () => {
    const data = dataOf(await postGraphQL(server.url, AnonymousUrls));
    assert.equal(data.photos.nodes.length, 27 + 3, 'every photo (the copy of DSCN0010 is the same photo)');
    const checks: { url: string; accept?: string }[] = [];
    for (const photo of data.photos.nodes) {
      const { id: _id, title: _title, srcSetAvif, srcSetWebp, srcSetJpg, ...images } = photo;
      for (const image of Object.values(images)) checks.push({ url: image.url });
      for (const srcSet of [srcSetAvif, srcSetWebp, srcSetJpg]) {
        for (const entry of srcSet.split(', ')) checks.push({ url: entry.split(' ')[0] as string });
      }
      const base = images.original.url.replace(/\/original\.[a-z]+\?.*$/, '');
      for (const variant of ['thumb', 'small', 'medium', 'large', 'original']) {
        for (const accept of ACCEPTS) checks.push({ url: `${base}/${variant}`, accept });
      }
    }
    const unique = [...new Map(checks.map((check) => [`${check.url} ${check.accept ?? ''}`, check])).values()];
    let next = 0;
    const failures: string[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        while (next < unique.length) {
          const check = unique[next++] as { url: string; accept?: string };
          const response = await request(`${server.url}${check.url}`, { headers: check.accept ? { accept: check.accept } : {} });
          const bytes = Buffer.from(await response.body.arrayBuffer());
          if (response.statusCode !== 200) failures.push(`${check.url}: ${response.statusCode}`);
          const secrets = await secretsIn(bytes);
          if (secrets.length > 0) failures.push(`${check.url} (${check.accept ?? 'no Accept'}): ${secrets.join(', ')}`);
        }
      }),
    );
    assert.deepEqual(failures, []);
    assert.ok(unique.length > 30 * 17, `checked ${unique.length} URLs`);
  });
});
