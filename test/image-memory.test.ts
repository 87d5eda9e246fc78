import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { buildImageLibrary, type ScaleImageLibrary } from '../bench/image-scale.ts';
import { BoundedMemo } from '../src/bounded-memo.ts';
import { PhotoFileLookup } from '../src/catalog/photo-files.ts';
import { ValidatorCache } from '../src/http/validators.ts';
import { StorageLayout } from '../src/storage/layout.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** The heap after full collections: what is still referenced, and nothing else. */
function liveHeap(): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/** Photos in the test library: enough that the memories below, bounded to a few hundred KB, overflow many times. */
const PHOTOS = 3_000;

describe('the image route keeps what it remembers within bytes, and never empties itself when full', () => {
  let library: ScaleImageLibrary;
  let sqlite: Database.Database;
  let layout: StorageLayout;

  before(async () => {
    const dir = await makeTempDir();
    library = await buildImageLibrary(path.join(dir, 'data'), PHOTOS);
    sqlite = new Database(path.join(library.dataDir, 'lightbox.db'), { readonly: true });
    layout = new StorageLayout(library.dataDir);
  });

  after(() => sqlite.close());

  it('BoundedMemo: past its bound the least recently used keys go, the most recent stay, and a key asked again stays', () => {
    const memo = new BoundedMemo<number, string>(1_000, () => 10);
    for (let key = 0; key < 1_000; key++) {
      memo.keep(key, `value ${key}`);
      // Key 0 is asked for between every two new keys: it is never the least recently used.
      assert.equal(memo.find(0), 'value 0');
      assert.ok(memo.weight <= memo.bound, `${memo.weight} > ${memo.bound} after ${key + 1} keys`);
    }
    for (let key = 1_000 - 80; key < 1_000; key++) assert.equal(memo.find(key), `value ${key}`, `recent key ${key} was dropped`);
    assert.equal(memo.find(1), undefined, 'the oldest keys went');
  });

  it('photo rows: touching more photos than fit keeps the most recent rows and stays within the byte bound', () => {
    const bound = 200 * 1024;
    const lookup = new PhotoFileLookup(sqlite, layout, () => 1, bound);
    const ids = library.publicPhotos.map((photo) => photo.publicId);
    const found = ids.map((id) => {
      const file = lookup.find(id);
      assert.ok(lookup.memoryBytes <= bound, `${lookup.memoryBytes} B kept, bound ${bound}`);
      return file;
    });
    assert.ok(lookup.memoryBytes > bound / 2, 'full, not emptied');
    // A row still remembered is the very object found before; one read again from SQL is another.
    const recent = ids.slice(-100);
    for (const [index, id] of recent.entries())
      assert.equal(lookup.find(id), found[ids.length - 100 + index], `row of ${id} was forgotten`);
    assert.notEqual(lookup.find(ids[0] as string), found[0], 'the first rows were read again');
  });

  it('file validators: the same, by path', () => {
    const bound = 200 * 1024;
    const validators = new ValidatorCache(bound);
    const files = library.publicPhotos.map((photo) => layout.derivedPath(photo.publicId, 'thumb', photo.version, 'webp'));
    const stats = statSync(files[0] as string);
    const made = files.map((file) => {
      const kept = validators.for(file, stats.mtimeMs, stats.size, 0);
      assert.ok(validators.memoryBytes <= bound, `${validators.memoryBytes} B kept, bound ${bound}`);
      return kept;
    });
    for (let index = files.length - 100; index < files.length; index++)
      assert.equal(
        validators.for(files[index] as string, stats.mtimeMs, stats.size, 0),
        made[index],
        `validators of ${files[index]} were forgotten`,
      );
  });

  it('the byte counts are no lower than the heap the rows and validators really take', () => {
    const ids = library.publicPhotos.map((photo) => photo.publicId);
    const files = library.publicPhotos.map((photo) => layout.derivedPath(photo.publicId, 'thumb', photo.version, 'webp'));
    const stats = statSync(files[0] as string);
    const lookup = new PhotoFileLookup(sqlite, layout, () => 1, 64 * 1024 * 1024);
    const validators = new ValidatorCache(64 * 1024 * 1024);
    const before = liveHeap();
    for (const [index, id] of ids.entries()) {
      lookup.find(id);
      const kept = validators.for(files[index] as string, stats.mtimeMs, stats.size, 0);
      kept.notModified = {
        key: 'public, no-cache|vary',
        headers: { ETag: kept.etag, 'Cache-Control': 'public, no-cache', Vary: 'Accept' },
        expiresSecond: Number.NaN,
      };
    }
    const grown = liveHeap() - before;
    const counted = lookup.memoryBytes + validators.memoryBytes;
    assert.ok(grown <= counted, `the heap grew ${grown} B for ${ids.length} photos, the memories count ${counted} B`);
    // Both stay referenced until here, so the collection above could not take them.
    assert.ok(lookup.find(ids[0] as string) !== undefined && validators.memoryBytes > 0);
  });
});

// Fewer photos than the route's memories hold by default (their eviction is tested above, on the
// memories themselves): this checks the route end to end over thousands of distinct files.
describe('the image route over a library of thousands of photos', () => {
  let server: TestServer;
  let library: ScaleImageLibrary;

  before(async () => {
    const dir = await makeTempDir();
    library = await buildImageLibrary(path.join(dir, 'data'), PHOTOS);
    server = await startTestServer({ LIGHTBOX_DATA_DIR: library.dataDir });
  });

  after(() => server.close());

  it('answers every revalidation of every photo with a 304 and the file’s ETag, the first ones asked again too', async () => {
    const urls = library.publicPhotos.map((photo) => `${server.url}/images/${photo.publicId}/thumb.webp`);
    const first = await request(urls[0] as string);
    await first.body.dump();
    const etag = String(first.headers.etag);
    const revalidate = async (url: string) => {
      const response = await request(url, { headers: { 'if-none-match': etag } });
      await response.body.dump();
      assert.equal(response.statusCode, 304, url);
      assert.equal(response.headers.etag, etag);
    };
    for (let start = 0; start < urls.length; start += 50) await Promise.all(urls.slice(start, start + 50).map(revalidate));
    await Promise.all(urls.slice(0, 50).map(revalidate));
  });
});
