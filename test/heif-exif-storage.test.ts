import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PhotoMetadata, readPhotoMetadata } from '../src/media/exif.ts';
import { heifExifTiff } from '../src/media/heif-boxes.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { type ExifStorage, withExifStoredAs } from './helpers/heif-exif-storage.ts';
import { heifEnc, heifInfo, heifToolsSkip } from './helpers/heif-tools.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const ImportedMetadata = graphql(`
  query HeifStoredExif {
    photos(first: 20) {
      nodes {
        title
        takenAt
        camera {
          make
          model
        }
        location {
          latitude
          longitude
        }
      }
    }
  }
`);

/** The bytes libheif says the Exif item has ("Exif: 2456 bytes"), or undefined when it lists none. */
function exifBytesListed(info: string): number | undefined {
  const match = /Exif: (\d+) bytes/.exec(info);
  return match ? Number(match[1]) : undefined;
}

/**
 * Android phones (an HMD/Nokia camera app among them) keep the Exif item in `meta`'s `idat`
 * box or in several extents, where heif-enc and iPhones keep one extent in the file; the
 * standard also lets an item's data come from another item. Every way must give the same EXIF.
 */
describe('EXIF of a HEIF file, wherever its Exif item is stored (every iloc construction method)', { skip: heifToolsSkip }, () => {
  const sources: { name: string; file: string; metadata?: PhotoMetadata }[] = [];
  let dir: string;

  before(async () => {
    dir = await makeTempDir();
    // An iPhone's own layout (a grid image, whose grid descriptor is already in idat), and heif-enc's with GPS.
    const withGps = path.join(dir, 'with-gps.heic');
    await heifEnc([path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg')], withGps, ['-q', '40']);
    sources.push(
      { name: 'iphone', file: path.join(FIXTURE_PHOTOS, 'heic', 'iphone-13-pro-max.heic') },
      { name: 'with-gps', file: withGps },
    );
    for (const source of sources) {
      source.metadata = await readPhotoMetadata(source.file, 'heic');
      assert.notEqual(source.metadata.takenAt, null, `${source.name}: the file as made has a capture time`);
      assert.notEqual(source.metadata.cameraMake, null, `${source.name}: and a camera`);
    }
  });

  async function stored(sourceName: string, storage: ExifStorage): Promise<string> {
    const source = sources.find((candidate) => candidate.name === sourceName) as (typeof sources)[number];
    const out = path.join(dir, `${sourceName}-${storage}.heic`);
    await writeFile(out, withExifStoredAs(await readFile(source.file), storage));
    return out;
  }

  for (const storage of ['extents', 'idat'] as const) {
    it(`${storage}: libheif reads the Exif item where it was put, and so does Lightbox, to the same tags`, async () => {
      for (const source of sources) {
        const file = await stored(source.name, storage);
        const listed = exifBytesListed(await heifInfo(file));
        assert.equal(listed, exifBytesListed(await heifInfo(source.file)), `${source.name}: native libheif lists the same Exif item`);
        assert.deepEqual(await readPhotoMetadata(file, 'heic'), source.metadata, `${source.name} (${storage})`);
      }
    });
  }

  it('item-reference (construction method 2): the Exif item read through the item it points to', async () => {
    // libheif 1.15 refuses such a file whole ("construction method not implemented"), so there is
    // no native reading to compare with: the reference is the same file's Exif stored plainly.
    for (const source of sources) {
      const file = await stored(source.name, 'item-reference');
      assert.deepEqual(heifExifTiff(await readFile(file)), heifExifTiff(await readFile(source.file)), source.name);
      assert.deepEqual(await readPhotoMetadata(file, 'heic'), source.metadata, source.name);
    }
  });

  it('an Exif item without the standard 4-byte offset, starting at `Exif\\0\\0` or at the TIFF header, is read as well', async () => {
    const source = sources.find((candidate) => candidate.name === 'iphone') as (typeof sources)[number];
    const file = await readFile(source.file);
    const tiff = heifExifTiff(file) as Buffer;
    const payloads = { 'bare TIFF': tiff, 'Exif marker, then TIFF': Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]) };
    for (const [name, payload] of Object.entries(payloads)) {
      const out = path.join(dir, `iphone-${name.replace(/\W+/g, '-')}.heic`);
      await writeFile(
        out,
        withExifStoredAs(file, 'idat', () => payload),
      );
      assert.deepEqual(await readPhotoMetadata(out, 'heic'), source.metadata, name);
    }
  });

  it('an item that points at itself, or past the end of the file, gives no EXIF rather than an error', async () => {
    const inIdat = await readFile(await stored('with-gps', 'idat'));
    // Cut the file inside the idat box: the Exif extent now runs past the end.
    const idatAt = inIdat.lastIndexOf(Buffer.from('idat', 'latin1'));
    assert.equal(heifExifTiff(inIdat.subarray(0, idatAt + 12)), undefined);

    // The Exif item's `iloc` reference turned back on itself: a loop, cut off.
    const referenced = Buffer.from(await readFile(await stored('with-gps', 'item-reference')));
    const reference = referenced.indexOf(Buffer.from('iloc', 'latin1'), referenced.indexOf(Buffer.from('iref', 'latin1')));
    referenced.writeUInt16BE(referenced.readUInt16BE(reference + 4), reference + 8);
    assert.equal(heifExifTiff(referenced), undefined);
  });

  describe('imported', () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer();
      const folder = path.join(dir, 'phone');
      await mkdir(folder);
      for (const storage of ['extents', 'idat'] as const) {
        await writeFile(path.join(folder, `${storage}.heic`), await readFile(await stored('with-gps', storage)));
      }
      const summary = await importIntoDataDir(server.dataDir, folder);
      assert.equal(summary.imported, 2, JSON.stringify(summary));
    });

    after(() => server?.close());

    it('a photo whose Exif item is in idat or in extents has its capture time, camera and place', async () => {
      const expected = sources.find((source) => source.name === 'with-gps')?.metadata as PhotoMetadata;
      const photos = dataOf(await postGraphQL(server.url, ImportedMetadata, {}, server.admin)).photos.nodes;
      assert.deepEqual(photos.map((photo) => photo.title).sort(), ['extents', 'idat']);
      for (const photo of photos) {
        assert.notEqual(photo.takenAt, null, photo.title);
        assert.equal(photo.camera?.make, expected.cameraMake, photo.title);
        assert.equal(photo.location?.latitude, expected.latitude, photo.title);
        assert.equal(photo.location?.longitude, expected.longitude, photo.title);
      }
    });
  });
});
