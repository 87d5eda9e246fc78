import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import sharp from 'sharp';
import { request } from 'undici';
import { turnedOrientation } from '../src/media/orientation.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const RotatedPhoto = graphql(`
  query RotatedPhoto($id: ID!) {
    photo(id: $id) {
      width
      height
      version
      small: image(variant: SMALL, format: JPG) {
        url
        width
        height
      }
      original: image(variant: ORIGINAL) {
        url
      }
    }
  }
`);

const RotatePhoto = graphql(`
  mutation RotatePhoto($id: ID!, $quarterTurns: Int!) {
    rotatePhoto(id: $id, quarterTurns: $quarterTurns) {
      __typename
      ... on PhotoPayload {
        photo {
          width
          height
          version
        }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

async function pixels(url: string) {
  const response = await request(url);
  assert.equal(response.statusCode, 200, url);
  const body = Buffer.from(await response.body.arrayBuffer());
  return sharp(body).autoOrient().removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

/** Mean absolute difference per channel, of 255, between two images of the same size. */
function meanDifference(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length, 'same size');
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs((a[i] as number) - (b[i] as number));
  return total / a.length;
}

describe('rotating a photo', () => {
  let server: TestServer;
  let ids: Record<string, string>;

  before(async () => {
    server = await startTestServer();
    await server.close();
    const built = await buildLibrary(server.dataDir, {
      albums: { shown: 'PUBLIC' },
      photos: {
        sideways: { file: path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_6.jpg'), albums: ['shown'] },
        phone: { file: path.join(FIXTURE_PHOTOS, 'heic', 'landscape-1.heic'), albums: ['shown'] },
      },
    });
    ids = Object.fromEntries(Object.entries(built.photos).map(([name, id]) => [name, encodeGlobalID('Photo', id)]));
    server = await startTestServer({ LIGHTBOX_DATA_DIR: server.dataDir });
  });
  after(() => server.close());

  const read = async (id: string, headers: Record<string, string> = server.admin) =>
    dataOf(await postGraphQL(server.url, RotatedPhoto, { id }, headers)).photo;
  const rotate = async (id: string, quarterTurns: number) =>
    dataOf(await postGraphQL(server.url, RotatePhoto, { id, quarterTurns }, server.admin)).rotatePhoto;

  for (const [name, quarterTurns] of [
    ['sideways', 1],
    ['phone', -1],
    ['sideways', 2],
  ] as const) {
    it(`${name}, ${quarterTurns} quarter turn(s): new version, every rendition turned, the old URL left behind`, async () => {
      const id = ids[name] as string;
      const before = await read(id);
      assert.ok(before);
      const oldPixels = await pixels(`${server.url}${before.small.url}`);

      const result = await rotate(id, quarterTurns);
      assert.equal(result.__typename, 'PhotoPayload', JSON.stringify(result));
      const now = await read(id);
      assert.ok(now);
      const odd = quarterTurns % 2 !== 0;
      assert.deepEqual(
        { width: now.width, height: now.height },
        odd ? { width: before.height, height: before.width } : before && { width: before.width, height: before.height },
      );
      assert.equal(now.version, before.version + 1);
      assert.notEqual(now.small.url, before.small.url, 'the URL version moves');

      const newPixels = await pixels(`${server.url}${now.small.url}`);
      assert.deepEqual(
        { width: newPixels.info.width, height: newPixels.info.height },
        { width: now.small.width, height: now.small.height },
      );
      // The old rendition turned by sharp is the new one, up to JPEG's loss; an unturned or wrongly turned one differs by far more.
      const expected = await sharp(oldPixels.data, { raw: oldPixels.info })
        .rotate(90 * quarterTurns)
        .raw()
        .toBuffer();
      const difference = meanDifference(expected, newPixels.data);
      assert.ok(difference < 6, `mean difference ${difference.toFixed(2)} of 255`);
      const unturned = await sharp(oldPixels.data, { raw: oldPixels.info })
        .resize(newPixels.info.width, newPixels.info.height, { fit: 'fill' })
        .raw()
        .toBuffer();
      assert.ok(meanDifference(unturned, newPixels.data) > difference * 2, 'the test tells turned from not turned');
    });
  }

  it("everyone else's ORIGINAL is turned too (a JPEG losslessly, by its orientation tag); the admin's stays the untouched file", async () => {
    const anonymous = await read(ids.sideways as string, {});
    assert.ok(anonymous);
    const response = await request(`${server.url}${anonymous.original.url}`);
    assert.equal(response.statusCode, 200);
    const metadata = await sharp(Buffer.from(await response.body.arrayBuffer())).metadata();
    // Landscape_6 is stored turned (EXIF 6); the tests above turned it 1 then 2 quarter turns more.
    assert.equal(metadata.orientation ?? 1, turnedOrientation(6, 3));
    assert.deepEqual(
      { width: metadata.autoOrient.width, height: metadata.autoOrient.height },
      { width: anonymous.width, height: anonymous.height },
    );

    const admin = await read(ids.sideways as string);
    assert.ok(admin);
    const untouched = await request(`${server.url}${admin.original.url}`, { headers: server.admin });
    assert.equal((await sharp(Buffer.from(await untouched.body.arrayBuffer())).metadata()).orientation, 6);
  });

  it('a turn of 0 or 4, or of a photo that does not exist, is a typed error and changes nothing', async () => {
    const before = await read(ids.phone as string);
    for (const quarterTurns of [0, 4, -4]) {
      const result = await rotate(ids.phone as string, quarterTurns);
      assert.equal(result.__typename, 'ValidationError');
      assert.ok('message' in result && result.message.includes('quarterTurns'));
    }
    assert.deepEqual(await read(ids.phone as string), before);
    const missing = await rotate(encodeGlobalID('Photo', 'nosuchphoto00000'), 1);
    assert.equal(missing.__typename, 'NotFoundError');
  });
});

describe('turnedOrientation', () => {
  it('composes each EXIF orientation with a clockwise turn, keeping its mirror', async () => {
    // Checked against libvips: an image tagged with each orientation, auto-oriented then turned, equals the one tagged with the composed orientation.
    const base = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 1, height: 1, channels: 3, background: '#f00' } }, left: 0, top: 0 }])
      .jpeg({ quality: 100 })
      .toBuffer();
    for (let orientation = 1; orientation <= 8; orientation++) {
      for (let turns = 0; turns < 4; turns++) {
        const tagged = await sharp(base).withMetadata({ orientation }).jpeg({ quality: 100 }).toBuffer();
        const turned = await sharp(tagged)
          .autoOrient()
          .rotate(90 * turns)
          .raw()
          .toBuffer({ resolveWithObject: true });
        const retagged = await sharp(base)
          .withMetadata({ orientation: turnedOrientation(orientation, turns) })
          .jpeg({ quality: 100 })
          .toBuffer();
        const composed = await sharp(retagged).autoOrient().raw().toBuffer({ resolveWithObject: true });
        assert.deepEqual(composed.info, turned.info, `orientation ${orientation}, ${turns} turns: size`);
        assert.ok(meanDifference(composed.data, turned.data) < 2, `orientation ${orientation}, ${turns} turns: pixels`);
      }
    }
  });
});
