// `npm run bench -- --sections storage`: a library in a bucket of a real Swift (its S3 API, on
// loopback) beside the same library on the local disk, same run: the image route's 304 and cached
// 200 (req per server CPU-s), a first 200 from a cold cache, an import of 100 photos, and the
// local cache's hit rate over a gallery browse. Swift from Debian's packages (test/support/swift).
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { MAX_INPUT_PIXELS, PROCESSING_TIMEOUT_SECONDS } from '../src/media/limits.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { processPhoto } from '../src/processing/process-photo.ts';
import { openStore } from '../src/storage/open-store.ts';
import { type StartedSwift, startSwift, swiftMissing } from '../test/support/swift/start.ts';
import { formatNumber } from './lib/format.ts';
import { median } from './lib/median.ts';
import { type NodeBenchServer, startServer } from './lib/server-process.ts';
import { runWrk } from './lib/wrk.ts';

export interface ObjectStorageOptions {
  seconds: number;
  rounds: number;
  connections: number;
  /** Photos imported into each library (the import row, and the library the rest is measured on). */
  photos: number;
}

interface Library {
  dataDir: string;
  env: Record<string, string>;
  /** Public id and `?v=` of every photo, in import order. */
  photos: { publicId: string; v: string }[];
}

/** Distinct photos of about 100 KB: a gradient each (its own hue) under a little noise. */
async function makePhotos(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < count; index++) {
    const hue = (index * 37) % 360;
    await sharp({
      create: {
        width: 1600,
        height: 1200,
        channels: 3,
        background: `hsl(${hue}, 60%, 50%)`,
        noise: { type: 'gaussian', mean: 0, sigma: 12 },
      },
    })
      .jpeg({ quality: 80 })
      .toFile(path.join(dir, `photo-${String(index).padStart(3, '0')}.jpg`));
  }
}

async function averageKilobytes(dir: string): Promise<number> {
  const names = await readdir(dir);
  let bytes = 0;
  for (const name of names) bytes += (await stat(path.join(dir, name))).size;
  return bytes / names.length / 1024;
}

/** Imports the folder into a new library (timed), then processes every photo (not timed: the same work on either storage). */
async function buildLibrary(
  dataDir: string,
  env: Record<string, string>,
  photosDir: string,
): Promise<{ library: Library; seconds: number }> {
  const store = await openStore(loadConfig({ ...env, LIGHTBOX_DATA_DIR: dataDir }), { create: true, checkBucket: true });
  try {
    const started = performance.now();
    await importFolder({ db: store.database.db, layout: store.layout, files: store.files }, photosDir, {
      album: 'bench',
      visibility: 'PUBLIC',
    });
    const seconds = (performance.now() - started) / 1000;
    const rows = store.database.sqlite.prepare('SELECT id, public_id, version, url_key FROM photos ORDER BY id').all() as {
      id: number;
      public_id: string;
      version: number;
      url_key: string;
    }[];
    const limits = { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: PROCESSING_TIMEOUT_SECONDS };
    for (const row of rows) await processPhoto({ db: store.database.db, layout: store.layout, files: store.files, limits }, row.id);
    const photos = rows.map((row) => ({ publicId: row.public_id, v: `${row.version}.${row.url_key}` }));
    return { library: { dataDir, env, photos }, seconds };
  } finally {
    store.close();
  }
}

/** A server on the library, its storage from its own environment (bench/servers/lightbox-storage.ts). */
async function serve(name: string, library: Library, extra: Record<string, string> = {}): Promise<NodeBenchServer> {
  const saved = { ...process.env };
  Object.assign(process.env, library.env, extra);
  try {
    const server = await startServer(name, 'lightbox-storage.ts', [library.dataDir]);
    await server.settled();
    return server;
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

async function cacheCounts(server: NodeBenchServer): Promise<{ hits: number; misses: number }> {
  const health = (await (await request(`http://127.0.0.1:${server.port}/healthz`)).body.json()) as {
    storage: { cache?: { hits: number; misses: number } };
  };
  return health.storage.cache ?? { hits: 0, misses: 0 };
}

/** Requests per server CPU-second of one wrk run. */
async function perCpuSecond(server: NodeBenchServer, url: string, headers: Record<string, string>, options: ObjectStorageOptions) {
  const before = await server.cpuSeconds();
  const result = await runWrk(url, options.seconds, headers, options.connections);
  const after = await server.cpuSeconds();
  if (result.non2xx3xx + result.socketErrors > 0)
    throw new Error(`${server.name}: ${result.non2xx3xx + result.socketErrors} errors for ${url}`);
  return result.requests / (after - before);
}

/** The 304 and the cached 200 of one thumbnail, each server in turn, rounds alternating; each round's bucket/local ratio. */
async function servingRows(
  local: NodeBenchServer,
  bucket: NodeBenchServer,
  libraries: Map<NodeBenchServer, Library>,
  options: ObjectStorageOptions,
) {
  const rows: string[] = [];
  for (const [label, conditional] of [
    ['304, revalidation (thumb.webp, no ?v=)', true],
    ['200, cached (thumb.webp)', false],
  ] as const) {
    const url = (server: NodeBenchServer) => {
      const photo = libraries.get(server)?.photos[0] as Library['photos'][number];
      return `http://127.0.0.1:${server.port}/images/${photo.publicId}/thumb.webp${conditional ? '' : `?v=${photo.v}`}`;
    };
    const headers = new Map<NodeBenchServer, Record<string, string>>();
    for (const server of [local, bucket]) {
      const probe = await request(url(server));
      await probe.body.dump();
      if (probe.statusCode !== 200) throw new Error(`${server.name} answered ${probe.statusCode} for ${url(server)}`);
      headers.set(server, conditional ? { 'If-None-Match': String(probe.headers.etag) } : {});
      await runWrk(url(server), 1, headers.get(server), options.connections);
    }
    const missesBefore = (await cacheCounts(bucket)).misses;
    const perRound: { local: number; bucket: number }[] = [];
    for (let round = 0; round < options.rounds; round++) {
      process.stderr.write(`  storage: ${label} (round ${round + 1}/${options.rounds})\n`);
      const order = round % 2 === 0 ? [local, bucket] : [bucket, local];
      const measured = new Map<NodeBenchServer, number>();
      for (const server of order) measured.set(server, await perCpuSecond(server, url(server), headers.get(server) ?? {}, options));
      perRound.push({ local: measured.get(local) as number, bucket: measured.get(bucket) as number });
    }
    const bucketRequests = (await cacheCounts(bucket)).misses - missesBefore;
    const ratio = median(perRound.map((round) => round.bucket / round.local));
    rows.push(
      `| ${label} | ${formatNumber(median(perRound.map((round) => round.local)))} | ${formatNumber(median(perRound.map((round) => round.bucket)))} | ${ratio.toFixed(2)}× (cost ${(1 / ratio).toFixed(2)}×) | ${bucketRequests} |`,
    );
  }
  return rows;
}

/** Median milliseconds of a first 200 for each of `count` photos' medium.jpg, one request at a time. */
async function firstTwoHundreds(server: NodeBenchServer, library: Library, count: number): Promise<number> {
  const times: number[] = [];
  for (const photo of library.photos.slice(0, count)) {
    const started = performance.now();
    const answer = await request(`http://127.0.0.1:${server.port}/images/${photo.publicId}/medium.jpg?v=${photo.v}`);
    await answer.body.arrayBuffer();
    if (answer.statusCode !== 200) throw new Error(`${server.name}: ${answer.statusCode} for a first 200`);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** A small deterministic generator, so every run browses alike. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Three visits to the gallery by a cold node: the grid's thumbnails of every photo (WebP), then
 * 15 photos opened (medium.webp), the popular ones more often (Zipf, s = 1), as a shared album's
 * visitors do. The cache is a few MB, smaller than what the browse touches, so it evicts.
 */
async function browse(server: NodeBenchServer, library: Library): Promise<{ hits: number; misses: number }> {
  const random = seeded(42);
  const weights = library.photos.map((_, rank) => 1 / (rank + 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const pick = () => {
    let left = random() * total;
    for (const [index, weight] of weights.entries()) {
      left -= weight;
      if (left <= 0) return library.photos[index] as Library['photos'][number];
    }
    return library.photos[0] as Library['photos'][number];
  };
  const before = await cacheCounts(server);
  const get = async (photo: Library['photos'][number], variant: string) => {
    const answer = await request(`http://127.0.0.1:${server.port}/images/${photo.publicId}/${variant}.webp?v=${photo.v}`);
    await answer.body.dump();
    if (answer.statusCode !== 200) throw new Error(`${server.name}: ${answer.statusCode} while browsing`);
  };
  for (let visit = 0; visit < 3; visit++) {
    for (const photo of library.photos) await get(photo, 'thumb');
    for (let opened = 0; opened < 15; opened++) await get(pick(), 'medium');
  }
  const after = await cacheCounts(server);
  return { hits: after.hits - before.hits, misses: after.misses - before.misses };
}

export async function benchObjectStorage(options: ObjectStorageOptions): Promise<string> {
  const missing = swiftMissing();
  if (missing !== undefined) return `(not run: OpenStack Swift is not installed: \`${missing}\`)`;
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-storage-'));
  let swift: StartedSwift | undefined;
  const servers: NodeBenchServer[] = [];
  try {
    swift = await startSwift();
    await swift.createBucket('bench');
    const photosDir = path.join(workDir, 'photos');
    process.stderr.write(`  storage: making ${options.photos} photos\n`);
    await makePhotos(photosDir, options.photos);
    const importSeconds = { local: [] as number[], bucket: [] as number[] };
    let local: Library | undefined;
    let bucket: Library | undefined;
    const rounds = Math.min(2, options.rounds);
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`  storage: import of ${options.photos} photos, local disk and bucket (round ${round + 1}/${rounds})\n`);
      const localBuilt = await buildLibrary(path.join(workDir, `local-${round}`), {}, photosDir);
      const bucketBuilt = await buildLibrary(path.join(workDir, `bucket-${round}`), swift.env('bench', `round-${round}`), photosDir);
      importSeconds.local.push(localBuilt.seconds);
      importSeconds.bucket.push(bucketBuilt.seconds);
      local = localBuilt.library;
      bucket = bucketBuilt.library;
    }
    if (local === undefined || bucket === undefined) throw new Error('no library was built');

    const localServer = await serve('Lightbox, local disk', local);
    servers.push(localServer);
    const bucketServer = await serve('Lightbox, Swift S3', bucket);
    servers.push(bucketServer);
    const serving = await servingRows(
      localServer,
      bucketServer,
      new Map([
        [localServer, local],
        [bucketServer, bucket],
      ]),
      options,
    );

    process.stderr.write('  storage: first 200s, cold\n');
    const firstCount = Math.min(50, options.photos);
    const localFirst = await firstTwoHundreds(localServer, local, firstCount);
    // A replaced node: the same library with an empty cache.
    await bucketServer.stop();
    servers.pop();
    await rm(path.join(bucket.dataDir, 'cache'), { recursive: true, force: true });
    const coldServer = await serve('Lightbox, Swift S3, cold cache', bucket);
    servers.push(coldServer);
    const bucketFirst = await firstTwoHundreds(coldServer, bucket, firstCount);
    await coldServer.stop();
    servers.pop();

    process.stderr.write('  storage: a gallery browse on a cold, small cache\n');
    await rm(path.join(bucket.dataDir, 'cache'), { recursive: true, force: true });
    const browsing = await serve('Lightbox, Swift S3, 4 MB cache', bucket, { LIGHTBOX_LOCAL_CACHE_MB: '4', LIGHTBOX_UPLOAD_MAX_MB: '2' });
    servers.push(browsing);
    const browsed = await browse(browsing, bucket);
    const hitRate = browsed.hits / (browsed.hits + browsed.misses);

    const photoKb = await averageKilobytes(photosDir);
    const importLocal = median(importSeconds.local);
    const importBucket = median(importSeconds.bucket);
    return [
      '| row | local disk (req per server CPU-s) | Swift S3 (req per server CPU-s) | Swift / local | bucket requests during the row |',
      '|---|--:|--:|--:|--:|',
      ...serving,
      '',
      '| one at a time | local disk | Swift S3 | Swift / local |',
      '|---|--:|--:|--:|',
      `| first 200 of a photo's medium.jpg, cold (median of ${firstCount} photos, ms) | ${localFirst.toFixed(1)} | ${bucketFirst.toFixed(1)} | ${(bucketFirst / localFirst).toFixed(1)}× |`,
      `| import of ${options.photos} photos of ${formatNumber(photoKb)} KB (s, median of ${rounds}) | ${importLocal.toFixed(2)} | ${importBucket.toFixed(2)} | ${(importBucket / importLocal).toFixed(1)}× |`,
      '',
      `Gallery browse on a cold node with a 4 MB cache (3 visits: every thumbnail, then 15 photos opened, Zipf): ` +
        `${browsed.hits + browsed.misses} image requests, ${browsed.misses} asked the bucket, hit rate **${(hitRate * 100).toFixed(1)}%**.`,
    ].join('\n');
  } finally {
    for (const server of servers) await server.stop();
    await swift?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
