import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { embeddedTitle } from '../src/media/embedded-title.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { withIptc } from './helpers/iptc.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const Titles = graphql(`
  query EmbeddedTitles {
    photos(first: 20) {
      nodes {
        title
        camera {
          make
        }
      }
    }
  }
`);

const xmpTitled = (title: string) =>
  `<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="de">Zürich bei Nacht</rdf:li><rdf:li xml:lang="x-default">${title}</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

describe('a title written into the file', () => {
  it('is taken from XMP dc:title, else IPTC ObjectName, else EXIF ImageDescription', () => {
    const all = { title: { lang: 'x-default', value: 'From XMP' }, ObjectName: 'From IPTC', ImageDescription: 'From EXIF' };
    assert.equal(embeddedTitle(all), 'From XMP');
    assert.equal(embeddedTitle({ ...all, title: undefined }), 'From IPTC');
    assert.equal(embeddedTitle({ ImageDescription: 'From EXIF' }), 'From EXIF');
    assert.equal(
      embeddedTitle({
        title: [
          { lang: 'de', value: 'Deutsch' },
          { lang: 'x-default', value: 'Harbour at dawn' },
        ],
      }),
      'Harbour at dawn',
    );
    assert.equal(embeddedTitle({}), null);
  });

  it('skips what cameras write as a placeholder, or a repeat of the camera, and tidies the rest', () => {
    for (const placeholder of ['OLYMPUS DIGITAL CAMERA', 'SONY DSC', '  Digital   Camera ', 'EXIF_JPEG_PICTURE', '\0\0\0\0', '   ']) {
      assert.equal(embeddedTitle({ ImageDescription: placeholder }), null, JSON.stringify(placeholder));
    }
    assert.equal(embeddedTitle({ ImageDescription: 'NIKON COOLPIX P6000', Make: 'NIKON', Model: 'COOLPIX P6000' }), null);
    assert.equal(embeddedTitle({ ImageDescription: 'COOLPIX P6000', Make: 'NIKON', Model: 'COOLPIX P6000' }), null);
    // A placeholder in EXIF does not hide a real title elsewhere.
    assert.equal(embeddedTitle({ ImageDescription: 'OLYMPUS DIGITAL CAMERA', ObjectName: 'Harbour' }), 'Harbour');
    assert.equal(embeddedTitle({ ImageDescription: 'Line one\nline\ttwo\0' }), 'Line one line two');
    assert.equal(embeddedTitle({ ImageDescription: 'x'.repeat(5000) })?.length, 200, 'no longer than the API allows');
  });

  describe('imported', () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer();
      const folder = await makeTempDir();
      const nikon = path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg');
      await sharp(nikon)
        .keepMetadata()
        .withExifMerge({ IFD0: { ImageDescription: 'Tram 28 in Alfama' } })
        .toFile(path.join(folder, 'DSCN0001.jpg'));
      await sharp(nikon)
        .keepMetadata()
        .withExifMerge({ IFD0: { ImageDescription: 'OLYMPUS DIGITAL CAMERA' } })
        .withXmp(xmpTitled('Zürich at night'))
        .toFile(path.join(folder, 'DSCN0002.jpg'));
      await writeFile(
        path.join(folder, 'P1000003.jpg'),
        withIptc(await readFile(path.join(FIXTURE_PHOTOS, 'cameras', 'kodak-dc240.jpg')), { objectName: 'Café terrace' }),
      );
      // A real camera's own placeholder: the file's name stays the title.
      await writeFile(path.join(folder, 'olympus-c960.jpg'), await readFile(path.join(FIXTURE_PHOTOS, 'cameras', 'olympus-c960.jpg')));
      await importIntoDataDir(server.dataDir, folder);
    });

    after(() => server?.close());

    it('names each photo by what its owner or editor wrote, not by the camera’s file name; a camera’s placeholder leaves the name', async () => {
      const photos = dataOf(await postGraphQL(server.url, Titles, {}, server.admin)).photos.nodes;
      assert.deepEqual(photos.map((photo) => photo.title).sort(), ['Café terrace', 'Tram 28 in Alfama', 'Zürich at night', 'olympus-c960']);
      assert.ok(
        photos.every((photo) => photo.camera?.make),
        'the camera is still read beside the title',
      );
    });
  });
});
