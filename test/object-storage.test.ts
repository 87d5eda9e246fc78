import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { print } from 'graphql';
import sharp from 'sharp';
import { FormData, request } from 'undici';
import { startLightbox } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { STAT_TRUSTED_MS } from '../src/http/image-route.ts';
import { createLogger } from '../src/log.ts';
import type { RenderRequest } from '../src/media/render-queue.ts';
import { renderRendition } from '../src/media/render-queue.ts';
import { BucketFiles } from '../src/storage/bucket-files.ts';
import { StorageLayout } from '../src/storage/layout.ts';
import { openStore } from '../src/storage/open-store.ts';
import { graphql } from './generated/index.ts';
import { type BucketRelay, startBucketRelay } from './helpers/bucket-relay.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { movableClock } from './helpers/clock.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { photoStatuses, processingSettled, storedPhoto } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { freshBucket, type StartedSwift, swiftSkip } from './helpers/swift.ts';

const BucketOriginalUrl = graphql(`
  query BucketOriginalUrl($id: ID!) {
    photo(id: $id) {
      image(variant: ORIGINAL) {
        url
      }
    }
  }
`);

const BucketAlbumDownload = graphql(`
  query BucketAlbumDownload($id: ID!) {
    album(id: $id) {
      download {
        url
      }
    }
  }
`);

const DeleteBucketPhoto = graphql(`
  mutation DeleteBucketPhoto($id: ID!) {
    deletePhoto(id: $id) {
      __typename
    }
  }
`);

const BucketUpload = graphql(`
  mutation BucketUpload($files: [File!]!) {
    uploadPhotos(files: $files) {
      __typename
    }
  }
`);

const etagOf = (modifiedMs: number, size: number) => `"${createHash('md5').update(`${modifiedMs}-${size}`).digest('hex')}"`;

async function objectKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key as string).sort();
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('photos in object storage (LIGHTBOX_STORAGE=s3://…, a real Swift on loopback)', { skip: swiftSkip }, () => {
  let swift: StartedSwift;
  let client: S3Client;
  let bucket: string;
  let relay: BucketRelay;
  let env: Record<string, string>;
  let server: TestServer;
  let renders: RenderRequest[];
  const photo = { publicId: '', v: '', sha: '' };
  let albumId = '';

  // Moved on past the second the route trusts a stat for, instead of waiting it out.
  const clock = movableClock();
  const start = async () => {
    renders = [];
    server = await startTestServer(
      { ...env, LIGHTBOX_DATA_DIR: server?.dataDir ?? (await makeTempDir()), LIGHTBOX_WORKERS: '2', LOG_LEVEL: 'warn' },
      {
        clock: clock.now,
        render: (request, limits) => {
          renders.push(request);
          return renderRendition(request, limits);
        },
      },
    );
  };

  before(async () => {
    const made = await freshBucket('library');
    swift = made.swift;
    bucket = made.bucket;
    client = swift.client();
    relay = await startBucketRelay(swift.endpoint);
    env = { ...made.env, LIGHTBOX_S3_ENDPOINT: relay.url };
    await start();
    const built = await buildLibrary(server.dataDir, {
      albums: { Open: 'PUBLIC' },
      photos: { harbour: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] } },
    });
    photo.publicId = built.photos.harbour as string;
    albumId = encodeGlobalID('Album', built.albums.Open as string);
    photo.v = storedPhoto(server.dataDir, 'DSCN0010.jpg').v;
    photo.sha = createHash('sha256')
      .update(await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg')))
      .digest('hex');
    await processingSettled(server);
  });

  after(async () => {
    await server?.close();
    await relay?.close();
    client?.destroy();
  });

  const thumbUrl = () => `${server.url}/images/${photo.publicId}/thumb.webp?v=${photo.v}`;
  const cachedThumb = () => new StorageLayout(server.dataDir, true).derivedPath(photo.publicId, 'thumb', 1, 'webp');

  it('stores the original in the bucket under its SHA-256 and nothing under the data dir’s originals/', async () => {
    const key = `library/originals/${photo.sha.slice(0, 2)}/${photo.sha.slice(2, 4)}/${photo.sha}.jpg`;
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ContentLength, (await stat(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'))).size);
    assert.deepEqual(await filesUnder(path.join(server.dataDir, 'originals')), []);
    assert.deepEqual(await filesUnder(path.join(server.dataDir, 'derived')), []);
    const derived = await objectKeys(client, bucket, 'library/derived/');
    for (const rendition of ['medium.v1.webp', 'medium.v1.jpg', 'thumb.v1.webp', 'thumb.v1.jpg']) {
      assert.ok(
        derived.some((found) => found.endsWith(`/${photo.publicId}/${rendition}`)),
        `${rendition} is in the bucket: ${derived.join(', ')}`,
      );
    }
  });

  it('keeps each rendition in the local cache with the object’s Last-Modified, so every node gives it the same ETag', async () => {
    const key = `library/${new StorageLayout(server.dataDir, true).keyOf(cachedThumb())}`;
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const cached = await stat(cachedThumb());
    assert.equal(cached.mtimeMs, head.LastModified?.getTime());
    const answer = await request(thumbUrl());
    await answer.body.arrayBuffer();
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers.etag, etagOf(head.LastModified?.getTime() ?? 0, head.ContentLength ?? 0));
  });

  it('answers a cached 200 and a 304 without one request to the bucket', async () => {
    const first = await request(thumbUrl());
    await first.body.arrayBuffer();
    const before = relay.requests.length;
    const again = await request(thumbUrl());
    await again.body.arrayBuffer();
    const revalidated = await request(thumbUrl(), { headers: { 'if-none-match': String(first.headers.etag) } });
    await revalidated.body.arrayBuffer();
    assert.equal(again.statusCode, 200);
    assert.equal(revalidated.statusCode, 304);
    assert.deepEqual(relay.requests.slice(before), [], 'the bucket was not asked');
  });

  it('cuts an album download short when the bucket cannot give a photo, rather than leave the photo out', async () => {
    const url = dataOf(await postGraphQL(server.url, BucketAlbumDownload, { id: albumId }, server.admin)).album?.download?.url;
    assert.ok(url);
    // Out of the local cache, so the archive has to ask the bucket for it.
    const cache = new StorageLayout(server.dataDir, true);
    await rm(cache.originalPath(photo.sha, 'jpg'), { force: true });
    await rm(cache.derivedPath(photo.publicId, 'original', 1, 'jpg'), { force: true });
    const logged = server.logs.filter((line) => line.msg === 'the bucket did not answer an album download').length;
    relay.set('fail');
    try {
      // Cut before or after its headers: never an archive that ends as if whole.
      await assert.rejects(async () => {
        const answer = await request(`${server.url}${url}`);
        await answer.body.arrayBuffer();
      });
    } finally {
      relay.set('pass');
    }
    await server.logged('the bucket did not answer an album download', logged + 1);
  });

  it('/healthz says the files are in a bucket, and not which: anyone may ask it', async () => {
    const answer = await request(`${server.url}/healthz`);
    const text = await answer.body.text();
    assert.equal(answer.statusCode, 200);
    assert.equal((JSON.parse(text) as { storage: { kind: string } }).storage.kind, 's3');
    assert.ok(!text.includes(bucket), `the bucket's name is in ${text}`);
  });

  it('answers a revalidation of an evicted file from the cache’s index, still without the bucket', async () => {
    const first = await request(thumbUrl());
    await first.body.arrayBuffer();
    await unlink(cachedThumb());
    // Past the second the route trusts its last stat for: the next requests find the file gone.
    clock.advance(STAT_TRUSTED_MS + 1);
    const before = relay.requests.length;
    const revalidated = await request(thumbUrl(), { headers: { 'if-none-match': String(first.headers.etag) } });
    await revalidated.body.arrayBuffer();
    assert.equal(revalidated.statusCode, 304);
    assert.equal(revalidated.headers.etag, first.headers.etag);
    assert.deepEqual(relay.requests.slice(before), []);
    const refetched = await request(thumbUrl());
    await refetched.body.arrayBuffer();
    assert.equal(refetched.statusCode, 200);
    assert.equal(refetched.headers.etag, first.headers.etag, 'fetched again: the same ETag');
    assert.ok(
      relay.requests.slice(before).some((line) => line.startsWith('GET ')),
      'this time from the bucket',
    );
  });

  it('serves a replaced node (same database, empty cache) from the bucket with the same ETags, rendering nothing', async () => {
    const first = await request(thumbUrl());
    await first.body.arrayBuffer();
    await server.app.close();
    await rm(path.join(server.dataDir, 'cache'), { recursive: true, force: true });
    await start();
    const answer = await request(thumbUrl());
    await answer.body.arrayBuffer();
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers.etag, first.headers.etag);
    assert.deepEqual(renders, [], 'nothing was rendered again');
  });

  it('renders a rendition the bucket does not have from the original it fetches, then stores it in the bucket', async () => {
    const url = `${server.url}/images/${photo.publicId}/small.avif?v=${photo.v}`;
    const answer = await request(url);
    const body = Buffer.from(await answer.body.arrayBuffer());
    assert.equal(answer.statusCode, 200);
    assert.equal((await sharp(body).metadata()).width, 640);
    assert.equal(renders.length, 1);
    const keys = await objectKeys(client, bucket, 'library/derived/');
    assert.ok(keys.some((key) => key.endsWith(`/${photo.publicId}/small.v1.avif`)));
  });

  it('answers 503 with Retry-After, and logs it, while the bucket fails or is unreachable; cached files are still served', async () => {
    await rm(path.join(server.dataDir, 'cache', 'derived'), { recursive: true, force: true });
    const medium = `${server.url}/images/${photo.publicId}/medium.jpg?v=${photo.v}`;
    const logged = server.logs.filter((line) => line.msg === 'the bucket did not answer an image request').length;
    try {
      for (const mode of ['fail', 'cut'] as const) {
        relay.set(mode);
        const answer = await request(medium);
        await answer.body.arrayBuffer();
        assert.equal(answer.statusCode, 503, mode);
        assert.equal(answer.headers['retry-after'], '2', mode);
        assert.equal(answer.headers['cache-control'], 'no-store', mode);
      }
    } finally {
      relay.set('pass');
    }
    await server.logged('the bucket did not answer an image request', logged + 2);
    const back = await request(medium);
    await back.body.arrayBuffer();
    assert.equal(back.statusCode, 200, 'once the bucket answers again');
    relay.set('fail');
    try {
      const cached = await request(medium);
      await cached.body.arrayBuffer();
      assert.equal(cached.statusCode, 200, 'a cached file needs no bucket');
    } finally {
      relay.set('pass');
    }
  });

  it('fails an upload while the bucket fails, with STORAGE_UNAVAILABLE, and stores no row', async () => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: print(BucketUpload), variables: { files: [null] } }));
    form.set('map', JSON.stringify({ 0: ['variables.files.0'] }));
    form.set('0', new Blob([new Uint8Array(await readFile(path.join(FIXTURE_PHOTOS, 'cameras', 'kodak-dc240.jpg')))]), 'kodak.jpg');
    const rows = () => photoStatuses(server.dataDir);
    const before = JSON.stringify(rows());
    relay.set('fail');
    let answer: { errors?: { extensions?: { code?: string } }[] };
    try {
      const response = await request(`${server.url}/graphql`, {
        method: 'POST',
        body: form,
        headers: { ...server.admin, 'graphql-preflight': '1' },
      });
      answer = (await response.body.json()) as typeof answer;
    } finally {
      relay.set('pass');
    }
    assert.equal(answer.errors?.[0]?.extensions?.code, 'STORAGE_UNAVAILABLE', JSON.stringify(answer));
    assert.equal(JSON.stringify(rows()), before, 'no photo was added');
  });

  it('deletes a photo’s objects from the bucket and its files from the cache', async () => {
    const built = await buildLibrary(server.dataDir, {
      albums: {},
      photos: { doomed: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0021.jpg'), albums: [] } },
    });
    const doomed = built.photos.doomed as string;
    await processingSettled(server);
    const keysOf = async () => (await objectKeys(client, bucket, 'library/')).filter((key) => key.includes(doomed));
    assert.ok((await keysOf()).length >= 4, 'its renditions are in the bucket');
    const before = (await objectKeys(client, bucket, 'library/originals/')).length;
    dataOf(await postGraphQL(server.url, DeleteBucketPhoto, { id: encodeGlobalID('Photo', doomed) }, server.admin));
    assert.deepEqual(await keysOf(), []);
    assert.equal((await objectKeys(client, bucket, 'library/originals/')).length, before - 1, 'its original went; the other stayed');
    assert.deepEqual(
      (await filesUnder(path.join(server.dataDir, 'cache', 'derived'))).filter((file) => file.includes(doomed)),
      [],
    );
  });

  it('sweeps objects no row names (an upload whose row never came), and only those', async () => {
    const hash = `abcd${'0'.repeat(60)}`;
    const orphan = `library/originals/ab/cd/${hash}.jpg`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: orphan, Body: 'not a photo' }));
    const kept = await objectKeys(client, bucket, 'library/');
    const store = await openStore({ dataDir: server.dataDir, storage: loadConfig(env).storage }, { create: false });
    try {
      assert.ok(store.files instanceof BucketFiles);
      // Swift rounds an object's Last-Modified up to the next second: "older than -2 s" takes one just put.
      const swept = await store.files.sweep(store.database.sqlite, -2000);
      assert.equal(swept.originals, 1);
    } finally {
      store.close();
    }
    assert.deepEqual(
      await objectKeys(client, bucket, 'library/'),
      kept.filter((key) => key !== orphan),
    );
  });

  it('an import of bytes an orphan object already holds uploads them again: young, the sweep cannot take them from the new row', async () => {
    const file = path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_3.jpg');
    const bytes = await readFile(file);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const key = `library/originals/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}.jpg`;
    // An upload whose row never came (the server died between the two).
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    const orphaned = (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).LastModified?.getTime() ?? 0;
    // Swift's Last-Modified is in whole seconds.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await buildLibrary(server.dataDir, { albums: {}, photos: { again: { file, albums: [] } } });
    const imported = (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).LastModified?.getTime() ?? 0;
    assert.ok(
      imported > orphaned,
      `Last-Modified ${new Date(imported).toISOString()} after the orphan's ${new Date(orphaned).toISOString()}`,
    );
  });

  it('streams a Range of a big uncached original through from the bucket, never caching it', async () => {
    const dir = await makeTempDir('lightbox-big-');
    const big = path.join(dir, 'noise.jpg');
    const { width, height } = { width: 900, height: 900 };
    await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 98 })
      .toFile(big);
    const small = await startTestServer({
      ...env,
      LIGHTBOX_STORAGE: `s3://${bucket}/big`,
      LIGHTBOX_LOCAL_CACHE_MB: '2',
      LIGHTBOX_UPLOAD_MAX_MB: '1',
    });
    try {
      const built = await buildLibrary(small.dataDir, { albums: {}, photos: { noise: { file: big, albums: [] } } });
      const noise = built.photos.noise as string;
      const url = dataOf(await postGraphQL(small.url, BucketOriginalUrl, { id: encodeGlobalID('Photo', noise) }, small.admin)).photo?.image
        .url;
      const bytes = await readFile(big);
      assert.ok(bytes.length > 256 * 1024, `${bytes.length} bytes: past the cache's stream-through size`);
      const before = relay.requests.length;
      const ranged = await request(`${small.url}${url}`, { headers: { range: 'bytes=1000-1999' } });
      const part = Buffer.from(await ranged.body.arrayBuffer());
      assert.equal(ranged.statusCode, 206);
      assert.equal(ranged.headers['content-range'], `bytes 1000-1999/${bytes.length}`);
      assert.ok(part.equals(bytes.subarray(1000, 2000)));
      const whole = await request(`${small.url}${url}`);
      assert.ok(Buffer.from(await whole.body.arrayBuffer()).equals(bytes));
      assert.equal(whole.headers.etag, ranged.headers.etag);
      assert.deepEqual(await filesUnder(path.join(small.dataDir, 'cache', 'originals')), [], 'never pulled into the cache');
      const gets = relay.requests.slice(before).filter((line) => line.startsWith('GET '));
      assert.equal(gets.length, 2, `one ranged GET, one whole: ${gets.join(', ')}`);
    } finally {
      await small.close();
    }
  });

  it('refuses to open a bucket library without LIGHTBOX_STORAGE (or with another bucket), naming what to set', async () => {
    for (const storage of [{}, { ...env, LIGHTBOX_STORAGE: `s3://${bucket}/elsewhere` }]) {
      const config = loadConfig({ ...storage, LIGHTBOX_DATA_DIR: server.dataDir, PORT: '0', HOST: '127.0.0.1' });
      await assert.rejects(openStore(config, { create: false }), (error: Error) => {
        assert.match(error.message, new RegExp(`^LIGHTBOX_STORAGE: .* keeps its \\d+ photos in s3://${bucket}/library, not in `));
        return true;
      });
    }
  });

  it('refuses a new library on a bucket prefix another library holds: each would sweep the other’s photos away', async () => {
    const dataDir = path.join(await makeTempDir(), 'data');
    const config = loadConfig({ ...env, LIGHTBOX_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    await assert.rejects(startLightbox(config, createLogger('silent')), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`^LIGHTBOX_STORAGE: s3://${bucket}/library holds another Lightbox library's photos .*a prefix of its own`),
      );
      return true;
    });
    await assert.rejects(stat(dataDir), 'no library was left behind');
  });

  it('stops at start with one line naming the setting when the bucket is unreachable, missing or refuses the key, leaving nothing behind', async () => {
    const cases = [
      { env: { LIGHTBOX_S3_ENDPOINT: 'http://127.0.0.1:9' }, says: /^LIGHTBOX_S3_ENDPOINT: .* did not take a test write/ },
      {
        env: { LIGHTBOX_STORAGE: 's3://no-such-bucket-here' },
        says: /^LIGHTBOX_STORAGE: .* the bucket no-such-bucket-here does not exist/,
      },
      { env: { AWS_SECRET_ACCESS_KEY: 'wrong' }, says: /^AWS_ACCESS_KEY_ID: .* refused these credentials/ },
    ];
    for (const { env: changed, says } of cases) {
      const dataDir = path.join(await makeTempDir(), 'data');
      const config = loadConfig({ ...env, ...changed, LIGHTBOX_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
      await assert.rejects(startLightbox(config, createLogger('silent')), (error: Error) => {
        assert.match(error.message, says);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
      await assert.rejects(stat(dataDir), 'no library was left behind');
    }
  });
});
