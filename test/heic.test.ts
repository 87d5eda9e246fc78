import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import exifr from 'exifr';
import { print } from 'graphql';
import sharp from 'sharp';
import { FormData, request } from 'undici';
import { HeifDecoderPool } from '../src/media/heif-decoder.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { heifConvert, heifEnc, heifToolsSkip } from './helpers/heif-tools.ts';
import { withTransforms } from './helpers/heif-transforms.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { processingSettled } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const HEIC = path.join(FIXTURE_PHOTOS, 'heic');
const IPHONE = path.join(HEIC, 'iphone-13-pro-max.heic');

const Photos = graphql(`
  query HeicPhotos {
    photos(first: 50) {
      nodes {
        id
        title
        status
        failureReason
        mimeType
        width
        height
        takenAt
        camera {
          make
          model
          lens
        }
        exposure {
          fNumber
          iso
          shutterSpeed
          focalLength
        }
        location {
          latitude
          longitude
        }
        original: image(variant: ORIGINAL) {
          url
          width
          height
        }
        large: image(variant: LARGE, format: JPG) {
          url
          width
          height
        }
        medium: image(variant: MEDIUM, format: JPG) {
          url
          width
          height
        }
        renditions: srcSet(format: AVIF)
        thumbWebp: image(variant: THUMB, format: WEBP) {
          url
        }
      }
    }
  }
`);

const MakeAlbum = graphql(`
  mutation HeicAlbum {
    createAlbum(input: { title: "Phone", visibility: PUBLIC }) {
      ... on AlbumPayload {
        album {
          id
        }
      }
    }
  }
`);

const Upload = graphql(`
  mutation HeicUpload($files: [File!]!, $albumId: ID) {
    uploadPhotos(files: $files, albumId: $albumId) {
      ... on UploadPhotosPayload {
        results {
          __typename
          ... on UploadedPhoto {
            photo {
              id
              mimeType
              width
              height
            }
          }
          ... on RejectedUpload {
            filename
            code
            message
          }
        }
      }
    }
  }
`);

/** Mean absolute difference per channel (0..255) of two images, both scaled to `width`×`height`. */
async function difference(a: Buffer | string, b: Buffer | string, width: number, height: number): Promise<number> {
  const load = (input: Buffer | string) => sharp(input).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [left, right] = await Promise.all([load(a), load(b)]);
  let sum = 0;
  for (let index = 0; index < left.length; index++) sum += Math.abs((left[index] as number) - (right[index] as number));
  return sum / left.length;
}

async function fetchBytes(url: string): Promise<{ status: number; type: string; bytes: Buffer }> {
  const response = await request(url);
  return {
    status: response.statusCode,
    type: String(response.headers['content-type']),
    bytes: Buffer.from(await response.body.arrayBuffer()),
  };
}

describe('HEIC/HEIF in: upright, with their EXIF, every rendition', { skip: heifToolsSkip }, () => {
  let server: TestServer;
  let made: string;
  /** What native libheif (heif-convert) makes of each file: the reference for pixels and orientation. */
  const reference = new Map<string, string>();

  before(async () => {
    server = await startTestServer({ LIGHTBOX_WORKERS: '2' });
    made = await makeTempDir('lightbox-heic-');
    const orientation = path.join(FIXTURE_PHOTOS, 'orientation');
    const landscape = await readFile(path.join(HEIC, 'landscape-1.heic'));
    // Transforms as phones write them (irot, imir), which heif-enc cannot make itself.
    await writeFile(path.join(made, 'turned.heic'), withTransforms(landscape, [{ kind: 'irot', quarterTurnsAnticlockwise: 1 }]));
    await writeFile(
      path.join(made, 'turned-and-flipped.heif'),
      withTransforms(landscape, [
        { kind: 'irot', quarterTurnsAnticlockwise: 3 },
        { kind: 'imir', flip: 'left-right' },
      ]),
    );
    // EXIF Orientation 6 and no transform: HEIF ignores the tag, so the picture stays as stored.
    await heifEnc([path.join(orientation, 'Landscape_6.jpg')], path.join(made, 'exif-says-rotate.heic'), ['-q', '50']);
    // EXIF 6 and an irot that does what it says: turned once, never twice; it must match the upright JPEG.
    const scratch = await makeTempDir('lightbox-heic-scratch-');
    await heifEnc([path.join(orientation, 'Landscape_6.jpg')], path.join(scratch, 'exif-and-irot.heic'), ['-q', '50']);
    await writeFile(
      path.join(made, 'exif-and-irot.heic'),
      withTransforms(await readFile(path.join(scratch, 'exif-and-irot.heic')), [{ kind: 'irot', quarterTurnsAnticlockwise: 3 }]),
    );
    await heifEnc([path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg')], path.join(made, 'with-gps.heic'), ['-q', '50']);
    // Two top-level images, as a burst or a collection: the primary (the first) is the photo.
    await heifEnc(
      [path.join(FIXTURE_PHOTOS, 'cameras', 'canon-ixus.jpg'), path.join(orientation, 'Portrait_1.jpg')],
      path.join(made, 'burst.heic'),
      ['-q', '50'],
    );
    // 10 bits per channel from a 16-bit gradient.
    const gradient = path.join(scratch, 'gradient.png');
    const ramp = Buffer.alloc(256 * 64 * 3);
    for (let x = 0; x < 256; x++) for (let y = 0; y < 64; y++) ramp.fill(x, (y * 256 + x) * 3, (y * 256 + x) * 3 + 3);
    await sharp(ramp, { raw: { width: 256, height: 64, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(gradient);
    await heifEnc([gradient], path.join(made, 'ten-bit.heic'), ['-b', '10', '-q', '90']);
    // A HEIF named as a JPEG: the bytes decide.
    await copyFile(path.join(HEIC, 'portrait-1.heic'), path.join(made, 'named-wrong.jpg'));
    for (const name of [
      'turned.heic',
      'turned-and-flipped.heif',
      'exif-says-rotate.heic',
      'exif-and-irot.heic',
      'with-gps.heic',
      'burst.heic',
      'ten-bit.heic',
      'named-wrong.jpg',
    ]) {
      const png = path.join(scratch, `${name}.reference.png`);
      await heifConvert(path.join(made, name), png);
      reference.set(path.parse(name).name, png);
    }
    await heifConvert(IPHONE, path.join(scratch, 'iphone.reference.png'));
    reference.set('iphone-13-pro-max', path.join(scratch, 'iphone.reference.png'));

    const imported = await importIntoDataDir(server.dataDir, made, { album: 'Made', public: true });
    assert.equal(imported.failed.length, 0, JSON.stringify(imported.failed));
    const album = dataOf(await postGraphQL(server.url, MakeAlbum, {}, server.admin)).createAlbum;
    assert.ok('album' in album);
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: print(Upload), variables: { files: [null], albumId: album.album.id } }));
    form.set('map', JSON.stringify({ 0: ['variables.files.0'] }));
    form.set('0', new Blob([new Uint8Array(await readFile(IPHONE))]), 'IMG_0001.HEIC');
    const uploaded = await request(`${server.url}/graphql`, {
      method: 'POST',
      body: form,
      headers: { ...server.admin, 'graphql-preflight': '1' },
    });
    const result = (await uploaded.body.json()) as {
      data: { uploadPhotos: { results: { __typename: string; photo?: { mimeType: string } }[] } };
    };
    assert.equal(result.data.uploadPhotos.results[0]?.__typename, 'UploadedPhoto', JSON.stringify(result));
    assert.equal(result.data.uploadPhotos.results[0]?.photo?.mimeType, 'image/heic');
    const settled = await processingSettled(server);
    assert.equal((settled.READY ?? 0) + (settled.FAILED ?? 0), reference.size);
  });

  after(() => server.close());

  const photosAs = async (headers: Record<string, string>) => dataOf(await postGraphQL(server.url, Photos, {}, headers)).photos.nodes;

  it('every HEIF is READY, sized as displayed, and looks as native libheif decodes it: transforms applied, EXIF orientation not', async () => {
    const photos = await photosAs(server.admin);
    const expected: Record<string, [number, number]> = {
      'iphone-13-pro-max': [3024, 4032],
      turned: [1200, 1800],
      'turned-and-flipped': [1200, 1800],
      'exif-says-rotate': [1200, 1800],
      'exif-and-irot': [1800, 1200],
      'with-gps': [640, 480],
      burst: [640, 480],
      'ten-bit': [256, 64],
      'named-wrong': [1200, 1800],
    };
    for (const [title, png] of reference) {
      const photo = photos.find(
        (candidate) => candidate.title === title || (title === 'iphone-13-pro-max' && candidate.title === 'IMG_0001'),
      );
      assert.ok(photo, title);
      assert.equal(photo.status, 'READY', `${title}: ${photo.failureReason}`);
      assert.match(photo.mimeType, /^image\/hei[cf]$/, title);
      assert.deepEqual([photo.width, photo.height], expected[title], `${title}: size as displayed`);
      // MEDIUM was made by the worker, LARGE is made on demand now: both from the one decode, both as libheif sees the file.
      for (const [variant, image] of [
        ['MEDIUM', photo.medium],
        ['LARGE', photo.large],
      ] as const) {
        const served = await fetchBytes(`${server.url}${image.url}`);
        assert.equal(served.status, 200, title);
        const meta = await sharp(served.bytes).metadata();
        assert.deepEqual([meta.width, meta.height], [image.width, image.height], `${title}: ${variant} is the size GraphQL says`);
        const delta = await difference(served.bytes, png, image.width, image.height);
        assert.ok(delta < 6, `${title}: ${variant} differs from native libheif by ${delta.toFixed(1)} of 255 on average`);
      }
    }
    // The transforms and the EXIF tag together describe the upright picture: it is the upright JPEG, turned once.
    const turnedOnce = photos.find((photo) => photo.title === 'exif-and-irot');
    const upright = await fetchBytes(`${server.url}${turnedOnce?.large.url}`);
    const delta = await difference(upright.bytes, path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_1.jpg'), 450, 300);
    assert.ok(delta < 12, `exif-and-irot is the upright picture (off by ${delta.toFixed(1)})`);
  });

  it("an iPhone's Display P3 is converted to sRGB through its ICC profile, not relabelled", async () => {
    const phone = (await photosAs({})).find((photo) => photo.title === 'IMG_0001');
    const ours = await sharp((await fetchBytes(`${server.url}${phone?.original.url}`)).bytes).stats();
    const pool = new HeifDecoderPool(1);
    try {
      // The same pixels with no profile given: what taking them as sRGB gives.
      const decoded = await pool.decode(IPHONE, { maxPixels: 100_000_000, timeoutSeconds: 60 });
      const relabelled = await sharp(decoded.tiff).stats();
      const [red, , blue] = ours.channels.map((channel, index) => channel.mean - (relabelled.channels[index]?.mean ?? 0));
      // P3 reds and greens lie outside sRGB: converted, the warm kitchen gets redder and less blue.
      assert.ok(
        (red ?? 0) > 1.5 && (blue ?? 0) < -1.5,
        `red ${red?.toFixed(1)}, blue ${blue?.toFixed(1)} against the pixels taken as sRGB`,
      );
    } finally {
      await pool.close();
    }
  });

  it('10-bit images come out as 8-bit sRGB with their tones where they were', async () => {
    const photo = (await photosAs(server.admin)).find((candidate) => candidate.title === 'ten-bit');
    const large = await fetchBytes(`${server.url}${photo?.large.url}`);
    const { data, info } = await sharp(large.bytes).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    const meta = await sharp(large.bytes).metadata();
    assert.equal(meta.depth, 'uchar');
    // Left edge dark, right edge light, middle grey: a ramp, not noise or clipping.
    const at = (x: number) => data[(32 * info.width + x) * 3] as number;
    assert.ok(at(2) < 20 && at(253) > 235 && Math.abs(at(128) - 128) < 20, `ramp: ${at(2)}, ${at(128)}, ${at(253)}`);
  });

  it('EXIF from HEIC: capture time with its offset, camera, lens, exposure; GPS for the admin only', async () => {
    const admin = await photosAs(server.admin);
    const phone = admin.find((photo) => photo.title === 'IMG_0001');
    assert.equal(phone?.takenAt, '2022-02-16T12:55:41+01:00');
    assert.deepEqual(phone?.camera, {
      make: 'Apple',
      model: 'iPhone 13 Pro Max',
      lens: 'iPhone 13 Pro Max back triple camera 5.7mm f/1.5',
    });
    assert.deepEqual(phone?.exposure, { fNumber: 1.5, iso: 250, shutterSpeed: '1/60', focalLength: 5.7 });
    const located = admin.find((photo) => photo.title === 'with-gps');
    const jpegGps = await exifr.gps(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'));
    assert.ok(Math.abs((located?.location?.latitude ?? 0) - jpegGps.latitude) < 1e-9, 'the same position the JPEG holds');
    assert.ok(Math.abs((located?.location?.longitude ?? 0) - jpegGps.longitude) < 1e-9);
    const anonymous = await photosAs({});
    assert.equal(anonymous.find((photo) => photo.title === 'with-gps')?.location, null);
  });

  it('ORIGINAL: the admin gets the uploaded HEIC as it is; everyone else a full-size JPEG without metadata', async () => {
    const uploaded = await readFile(IPHONE);
    const admin = (await photosAs(server.admin)).find((photo) => photo.title === 'IMG_0001');
    assert.match(admin?.original.url ?? '', /\/original\.heic\?.*g=original/);
    const untouched = await fetchBytes(`${server.url}${admin?.original.url}`);
    assert.equal(untouched.type, 'image/heic');
    assert.ok(untouched.bytes.equals(uploaded), 'the uploaded bytes');

    for (const title of ['IMG_0001', 'with-gps']) {
      const photo = (await photosAs({})).find((candidate) => candidate.title === title);
      assert.match(photo?.original.url ?? '', /\/original\.jpg\?v=/);
      const copy = await fetchBytes(`${server.url}${photo?.original.url}`);
      assert.equal(copy.status, 200);
      assert.equal(copy.type, 'image/jpeg');
      const meta = await sharp(copy.bytes).metadata();
      assert.deepEqual([meta.width, meta.height], [photo?.original.width, photo?.original.height], 'full size, as displayed');
      assert.equal(meta.exif, undefined, `${title}: no EXIF`);
      assert.equal(await exifr.gps(copy.bytes).catch(() => undefined), undefined, `${title}: no GPS`);
      // The uploaded file's own URL is not theirs to open.
      const heic = await request(`${server.url}${photo?.original.url.replace('original.jpg', 'original.heic')}`);
      await heic.body.dump();
      assert.equal(heic.statusCode, 404);
    }
  });

  it('renditions in every variant and format, on demand, from the one decode', async () => {
    const phone = (await photosAs({})).find((photo) => photo.title === 'IMG_0001');
    const urls = [phone?.thumbWebp.url, ...(phone?.renditions.split(', ').map((entry) => entry.split(' ')[0]) ?? [])];
    for (const url of urls) {
      const response = await fetchBytes(`${server.url}${url}`);
      assert.equal(response.status, 200, url);
      assert.match(response.type, /^image\/(webp|avif)$/);
    }
  });

  it('decoding never holds up the event loop: requests are answered while a 12 MP HEIC decodes', async () => {
    const pool = new HeifDecoderPool(1);
    try {
      let decoded = false;
      const decoding = pool.decode(IPHONE, { maxPixels: 100_000_000, timeoutSeconds: 60 }).then((image) => {
        decoded = true;
        return image;
      });
      let answered = 0;
      while (!decoded && answered < 20) {
        const health = await request(`${server.url}/healthz`);
        await health.body.dump();
        assert.equal(health.statusCode, 200);
        answered++;
      }
      assert.equal(answered, 20, 'twenty requests answered before the decode finished');
      const image = await decoding;
      assert.deepEqual([image.width, image.height, image.channels], [3024, 4032, 3]);
    } finally {
      await pool.close();
    }
  });

  it('is bounded like rendering: a pixel limit is checked before decoding, and a decode past its time ends', async () => {
    const pool = new HeifDecoderPool(1);
    try {
      await assert.rejects(
        pool.decode(IPHONE, { maxPixels: 1_000_000, timeoutSeconds: 60 }),
        /3024×4032, over the limit of 1000000 pixels/,
      );
      await assert.rejects(pool.decode(IPHONE, { maxPixels: 100_000_000, timeoutSeconds: 0.001 }), /took longer than/);
      const after = await pool.info(path.join(HEIC, 'landscape-1.heic'), { maxPixels: 100_000_000 });
      assert.deepEqual(after, { width: 1800, height: 1200 }, 'the pool goes on after a thread was ended');
    } finally {
      await pool.close();
    }
  });
});
