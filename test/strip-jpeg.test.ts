import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import exifr from 'exifr';
import sharp from 'sharp';
import { NotAJpegError, stripJpegMetadata } from '../src/media/strip-jpeg.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';

describe('JPEG metadata strip (lossless)', () => {
  it('keeps the pixels and the colour profile, drops EXIF, XMP and comments', async () => {
    const tagged = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 60 } } })
      .withIccProfile('p3')
      .withExif({ IFD0: { Make: 'Leaky', ImageDescription: 'home' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } })
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
      .jpeg()
      .toBuffer();
    const before = await sharp(tagged).metadata();
    assert.ok(before.exif && before.xmp && before.icc, 'the input has EXIF, XMP and ICC');
    const stripped = stripJpegMetadata(tagged);
    const after = await sharp(stripped).metadata();
    assert.equal(after.exif, undefined);
    assert.equal(after.xmp, undefined);
    assert.ok(after.icc?.equals(before.icc as Buffer), 'the ICC profile is kept byte for byte');
    assert.deepEqual(await sharp(stripped).raw().toBuffer(), await sharp(tagged).raw().toBuffer());
  });

  it('keeps only Orientation when the photo is not upright, so it still displays upright', async () => {
    const source = await readFile(path.join(FIXTURE_PHOTOS, 'orientation', 'Portrait_6.jpg'));
    const stripped = stripJpegMetadata(source, 6);
    assert.deepEqual(await exifr.parse(stripped, { tiff: true, exif: true, gps: true, jfif: false }), { Orientation: 'Rotate 90 CW' });
    const upright = await sharp(stripped).autoOrient().metadata();
    const expected = await sharp(source).autoOrient().metadata();
    assert.deepEqual([upright.width, upright.height], [expected.width, expected.height]);
  });

  it('drops whatever follows the primary image (phones append previews and depth maps with EXIF of their own)', async () => {
    const primary = await readFile(path.join(FIXTURE_PHOTOS, 'cameras', 'canon-ixus.jpg'));
    const trailer = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'));
    const stripped = stripJpegMetadata(Buffer.concat([primary, trailer]));
    assert.equal(await exifr.gps(stripped).catch(() => undefined), undefined);
    assert.ok(stripped.length < primary.length, 'nothing of the appended image is left');
  });

  it('refuses what it cannot walk, so the caller re-encodes instead', () => {
    for (const broken of [Buffer.from('not a jpeg'), Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff]), Buffer.from([0xff, 0xd8])]) {
      assert.throws(() => stripJpegMetadata(broken), NotAJpegError);
    }
  });
});
