// The image route at library scale: revalidation 304s for random photos of a set of 1 to 69,000
// distinct photos of a 100,000-photo library, Lightbox beside nginx serving the same files, with
// each server's ratio to its own 1-photo cell. What grows with the set is what a server must
// remember or look up per photo (rows, validators, paths) and the kernel's dentries.
import { copyFileSync, linkSync, mkdirSync, statSync, utimesSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Pool, request } from 'undici';
import { PHOTO_IS_PUBLIC_SQL } from '../src/catalog/access.ts';
import { StorageLayout } from '../src/storage/layout.ts';
import { formatNumber } from './lib/format.ts';
import { median, medianOfRatios } from './lib/median.ts';
import { startNginx } from './lib/nginx.ts';
import { buildScaleLibrary, seedScaleLibrary } from './lib/scale-library.ts';
import { type BenchServer, type NodeBenchServer, residentMegabytes, startServer } from './lib/server-process.ts';
import { runWrk } from './lib/wrk.ts';

const SEED_PHOTO = fileURLToPath(new URL('../test/fixtures/photos/cameras/canon-ixus.jpg', import.meta.url));
/** What a gallery's grid loads: made eagerly for every photo, so it is on disk before anyone asks. */
const VARIANT = 'thumb';
const FORMAT = 'webp';
/** Requests per second below any server's here: the touch runs long enough for each path at this rate. */
const TOUCH_RATE = 3_000;
/** LIGHTBOX_IMAGE_CACHE_MB's default: what the memory table holds the growth to. */
const CONFIGURED_CACHE_MB = 128;
/** Requests in flight while the memory table touches photos. */
const TOUCH_CONCURRENCY = 16;

export interface ImageScaleOptions {
  seconds: number;
  rounds: number;
  connections: number;
  /** Photos in the library (default 100,000). */
  library?: number;
  /** Distinct photos asked for, per row (default 1, 3,000, 20,000, 69,000; capped at the public photos). */
  sets?: number[];
  /** The RSS table after touching every photo (default on). */
  memory?: boolean;
}

export interface ScaleImageLibrary {
  dataDir: string;
  /** Public ids and versions of the photos anyone may load, in row order. */
  publicPhotos: { publicId: string; version: number }[];
}

/**
 * A data dir of `photos` copies of one processed photo, each with its rendition on disk: the
 * copies made by buildScaleLibrary have rows but no files, so each gets a hard link to the seed's
 * thumbnail at its own path (one inode; every path its own dentries, as a real library's).
 */
export async function buildImageLibrary(dataDir: string, photos: number): Promise<ScaleImageLibrary> {
  const seedDir = `${dataDir}-seed`;
  await mkdir(seedDir, { recursive: true });
  await copyFile(SEED_PHOTO, path.join(seedDir, path.basename(SEED_PHOTO)));
  await seedScaleLibrary(dataDir, seedDir);
  await rm(seedDir, { recursive: true, force: true });
  const sqlite = new Database(path.join(dataDir, 'lightbox.db'));
  try {
    const seed = sqlite.prepare('SELECT public_id AS publicId, version FROM photos').get() as { publicId: string; version: number };
    const seedFile = new StorageLayout(dataDir).derivedPath(seed.publicId, VARIANT, seed.version, FORMAT);
    buildScaleLibrary(sqlite, { photos });
    const all = sqlite.prepare('SELECT public_id AS publicId, version FROM photos ORDER BY id').all() as ScaleImageLibrary['publicPhotos'];
    linkRenditions(new StorageLayout(dataDir), seedFile, all);
    const publicPhotos = sqlite
      .prepare(`SELECT public_id AS publicId, version FROM photos WHERE ${PHOTO_IS_PUBLIC_SQL} ORDER BY id`)
      .all() as ScaleImageLibrary['publicPhotos'];
    return { dataDir, publicPhotos };
  } finally {
    sqlite.close();
  }
}

/** Below ext4's 65,000 hard links per inode: past it, another copy of the seed is linked. */
const LINKS_PER_FILE = 50_000;

/**
 * Synchronous on purpose: 100,000 mkdir+link pairs take a few seconds this way, several times
 * that through promises. Each copy of the seed keeps the seed's mtime, so every link has one ETag.
 */
function linkRenditions(layout: StorageLayout, seedFile: string, photos: ScaleImageLibrary['publicPhotos']): void {
  // A whole second, which every copy's utimes can repeat exactly (an mtime's nanoseconds would not survive the round trip).
  const mtime = Math.floor(statSync(seedFile).mtimeMs / 1000);
  utimesSync(seedFile, mtime, mtime);
  let source = seedFile;
  for (const [index, photo] of photos.entries()) {
    if (index > 0 && index % LINKS_PER_FILE === 0) {
      source = `${seedFile}.${index}`;
      copyFileSync(seedFile, source);
      utimesSync(source, mtime, mtime);
    }
    mkdirSync(layout.derivedDirFor(photo.publicId), { recursive: true });
    linkSync(source, layout.derivedPath(photo.publicId, VARIANT, photo.version, FORMAT));
  }
}

/** The same photos' files as nginx is given them: the data dir as its root, so its stats walk the same tree. */
function nginxPath(layout: StorageLayout, photo: { publicId: string; version: number }): string {
  return `/${path.relative(layout.dataDir, layout.derivedPath(photo.publicId, VARIANT, photo.version, FORMAT))}`;
}

/** What a browser revalidates with: the URL without `?v=` (versioned URLs are immutable). */
function lightboxPath(photo: { publicId: string }): string {
  return `/images/${photo.publicId}/${VARIANT}.${FORMAT}`;
}

/** The same shuffle every run (a small LCG), so the sets are the same photos for every server. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let state = 0x2545f491;
  for (let index = out.length - 1; index > 0; index--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const other = state % (index + 1);
    [out[index], out[other]] = [out[other] as T, out[index] as T];
  }
  return out;
}

/** How a wrk script picks each request's path: uniformly at random, or each of the list in turn. */
const PICK = {
  random: 'paths[math.random(count)]',
  inTurn: 'paths[at % count + 1]',
} as const;

/**
 * A wrk script asking for the paths of a list, with one If-None-Match: every copy is a link to
 * one file's inode (or a copy with its mtime), so one ETag matches them all, on either server.
 */
async function pathsScript(dir: string, name: string, paths: string[], etag: string, pick: keyof typeof PICK): Promise<string> {
  const list = path.join(dir, `${name}.paths`);
  await writeFile(list, `${paths.join('\n')}\n`);
  const script = path.join(dir, `${name}-${pick}.lua`);
  await writeFile(
    script,
    `local paths = {}
for line in io.lines(${JSON.stringify(list)}) do paths[#paths + 1] = line end
local count, at = #paths, 0
local headers = { ["If-None-Match"] = ${JSON.stringify(etag)} }
math.randomseed(count)
request = function() local path = ${PICK[pick]}; at = at + 1; return wrk.format("GET", path, headers) end
`,
  );
  return script;
}

interface Cell {
  perRound: number[];
  errors: number;
}

async function etagOf(url: string): Promise<string> {
  const probe = await request(url);
  await probe.body.dump();
  if (probe.statusCode !== 200) throw new Error(`${url} answered ${probe.statusCode}`);
  return String(probe.headers.etag);
}

/** Requests per server CPU-second of one wrk run of `script`. */
async function measure(server: BenchServer, script: string, options: ImageScaleOptions, cell: Cell): Promise<void> {
  const before = await server.cpuSeconds();
  const result = await runWrk(`http://127.0.0.1:${server.port}/`, options.seconds, {}, options.connections, script);
  const after = await server.cpuSeconds();
  cell.perRound.push(after > before ? result.requests / (after - before) : Number.NaN);
  cell.errors += result.non2xx3xx + result.socketErrors;
}

/**
 * Every path of the set in turn, for long enough to ask for each at least once (at the slowest
 * rate measured here), so the rounds measure the set's steady state rather than its first touches.
 */
async function touchAll(server: BenchServer, script: string, paths: number, connections: number): Promise<void> {
  await runWrk(`http://127.0.0.1:${server.port}/`, Math.max(1, Math.ceil(paths / TOUCH_RATE)), {}, connections, script);
}

/** Asks for each path once (in order, TOUCH_CONCURRENCY at a time) and checks every answer's status. */
async function askEach(port: number, paths: string[], headers: Record<string, string>, status: number): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: TOUCH_CONCURRENCY });
  let next = 0;
  const askNext = async (): Promise<void> => {
    while (next < paths.length) {
      const answer = await pool.request({ method: 'GET', path: paths[next++] as string, headers });
      await answer.body.dump();
      if (answer.statusCode !== status) throw new Error(`${answer.statusCode} where ${status} was expected`);
    }
  };
  try {
    await Promise.all(Array.from({ length: TOUCH_CONCURRENCY }, askNext));
  } finally {
    await pool.close();
  }
}

/** RSS in MB as found, and after a full collection (what the process holds). */
interface Resident {
  found: number;
  held: number;
}

interface MemoryRow {
  idle: number;
  afterBodies: Resident;
  afterRevalidations: Resident;
}

async function residentOf(server: NodeBenchServer): Promise<Resident> {
  const found = residentMegabytes(server.pid);
  return { found, held: (await server.collectedMemory()).rss / 1024 / 1024 };
}

/**
 * RSS of a fresh server, once its start-up work is done, after a 200 for each path, then after a
 * 304 for each. The same number of requests for one photo is the peer: what serving alone costs
 * (V8's young generation grows to its 32 MB under load, whatever is asked for).
 */
async function memoryAfter(dataDir: string, paths: string[], etag: string): Promise<MemoryRow> {
  const server = await startServer('Lightbox', 'lightbox.ts', [dataDir, String(CONFIGURED_CACHE_MB)]);
  try {
    await server.settled();
    const idle = (await residentOf(server)).held;
    await askEach(server.port, paths, {}, 200);
    const afterBodies = await residentOf(server);
    await askEach(server.port, paths, { 'if-none-match': etag }, 304);
    return { idle, afterBodies, afterRevalidations: await residentOf(server) };
  } finally {
    await server.stop();
  }
}

/** The memory table: every public photo's thumbnail asked for, beside one photo's asked as often. */
async function memoryTable(dataDir: string, photos: ScaleImageLibrary['publicPhotos'], etag: string): Promise<string[]> {
  const every = photos.map(lightboxPath);
  process.stderr.write(`  memory: a 200 and a 304 for one photo, ${every.length} times\n`);
  const one = await memoryAfter(
    dataDir,
    every.map(() => every[0] as string),
    etag,
  );
  process.stderr.write(`  memory: a 200 and a 304 for each of ${every.length} photos\n`);
  const each = await memoryAfter(dataDir, every, etag);
  const mb = (value: number) => formatNumber(value, 0);
  const both = (value: Resident) => `${mb(value.found)} / ${mb(value.held)}`;
  const row = (label: string, memory: MemoryRow) =>
    `| ${label} | ${mb(memory.idle)} | ${both(memory.afterBodies)} | ${both(memory.afterRevalidations)} | +${mb(memory.afterRevalidations.held - memory.idle)} |`;
  const over = (of: (row: MemoryRow) => Resident) => `+${mb(of(each).found - of(one).found)} / +${mb(of(each).held - of(one).held)}`;
  return [
    `| RSS of the server process, MB (LIGHTBOX_IMAGE_CACHE_MB=${CONFIGURED_CACHE_MB}; as found / after a full collection) | idle, start-up done, collected | after a 200 for each | then a 304 for each | held, over idle |`,
    '|---|--:|--:|--:|--:|',
    row(`one photo, asked ${formatNumber(every.length)} times`, one),
    row(`each of ${formatNumber(every.length)} distinct photos`, each),
    `| distinct over one photo | ${mb(each.idle - one.idle)} | ${over((row) => row.afterBodies)} | ${over((row) => row.afterRevalidations)} | +${mb(each.afterRevalidations.held - each.idle - (one.afterRevalidations.held - one.idle))} |`,
  ];
}

export async function benchImageScale(options: ImageScaleOptions): Promise<string> {
  const librarySize = options.library ?? 100_000;
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-scale-images-'));
  const servers: BenchServer[] = [];
  try {
    const started = performance.now();
    const library = await buildImageLibrary(path.join(workDir, 'data'), librarySize);
    const builtSeconds = (performance.now() - started) / 1000;
    const layout = new StorageLayout(library.dataDir);
    const photos = shuffled(library.publicPhotos);
    const sets = [...new Set((options.sets ?? [1, 3_000, 20_000, 69_000]).map((size) => Math.min(size, photos.length)))];

    const lightbox = await startServer('Lightbox', 'lightbox.ts', [library.dataDir]);
    servers.push(lightbox);
    const nginx = await startNginx('nginx', library.dataDir);
    if (nginx !== undefined) servers.push(nginx);
    const pathsOf = (server: BenchServer, photo: (typeof photos)[number]) =>
      server === lightbox ? lightboxPath(photo) : nginxPath(layout, photo);
    const etags = new Map<BenchServer, string>();
    for (const server of servers) etags.set(server, await etagOf(`http://127.0.0.1:${server.port}${pathsOf(server, photos[0] as never)}`));

    // The sets are prefixes of one shuffle: once the largest is touched, every set is in its steady state.
    const scripts = new Map<string, string>();
    const largest = sets[sets.length - 1] as number;
    for (const server of servers) {
      const etag = etags.get(server) as string;
      for (const size of sets) {
        const paths = photos.slice(0, size).map((photo) => pathsOf(server, photo));
        scripts.set(`${size}|${server.name}`, await pathsScript(workDir, `${server.name}-${size}`, paths, etag, 'random'));
        if (size === largest)
          await touchAll(server, await pathsScript(workDir, `${server.name}-${size}`, paths, etag, 'inTurn'), size, options.connections);
      }
      // Warm-up: JIT and keep-alive pools, over the largest set.
      await runWrk(`http://127.0.0.1:${server.port}/`, 2, {}, options.connections, scripts.get(`${largest}|${server.name}`));
    }
    const cells = new Map<string, Cell>();
    for (let round = 0; round < options.rounds; round++) {
      // Rows and servers alternate within each round, so drift on a shared machine lands on every cell alike.
      for (const size of [...sets.slice(round % sets.length), ...sets.slice(0, round % sets.length)]) {
        const order = (round + sets.indexOf(size)) % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) {
          process.stderr.write(`  304, ${size} distinct photos: ${server.name} (round ${round + 1}/${options.rounds})\n`);
          const key = `${size}|${server.name}`;
          const cell = cells.get(key) ?? { perRound: [], errors: 0 };
          cells.set(key, cell);
          await measure(server, scripts.get(key) as string, options, cell);
        }
      }
    }

    const header = servers.map((server) => `${server.name} req per server CPU-s | ${server.name} × 1 photo`).join(' | ');
    const lines = [
      `| 304 for random photos of the set (${formatNumber(librarySize)}-photo library) | ${header} | Lightbox / nginx |`,
      `|---|${servers.map(() => '--:|--:').join('|')}|--:|`,
    ];
    const roundsOf = (size: number, server: BenchServer) => cells.get(`${size}|${server.name}`)?.perRound ?? [];
    for (const size of sets) {
      const columns = servers.map((server) => {
        const ratio = medianOfRatios(roundsOf(size, server), roundsOf(sets[0] as number, server));
        return `${formatNumber(median(roundsOf(size, server)))} | ${formatNumber(ratio, 2)}×`;
      });
      const versus =
        servers.length > 1
          ? `${formatNumber(medianOfRatios(roundsOf(size, lightbox), roundsOf(size, servers[1] as BenchServer)), 2)}×`
          : '';
      const errors = servers.reduce((sum, server) => sum + (cells.get(`${size}|${server.name}`)?.errors ?? 0), 0);
      lines.push(
        `| ${formatNumber(size)} distinct photo${size === 1 ? '' : 's'}${errors > 0 ? ` (${errors} errors)` : ''} | ${columns.join(' | ')} | ${versus} |`,
      );
    }
    lines.push(
      '',
      `Library built in ${formatNumber(builtSeconds, 1)} s (rows by INSERT … SELECT, each copy's thumbnail a hard link to one file); medians of ${options.rounds} rounds of ${options.seconds} s (ratios: medians of the rounds' ratios), rows and servers alternating within each round; ${formatNumber(photos.length)} photos of the library are public.`,
    );
    if (nginx === undefined) lines.push('', 'nginx is not installed here, so not measured (apt-get install nginx).');
    for (const server of servers.splice(0)) await server.stop();
    if (options.memory !== false) lines.push('', ...(await memoryTable(library.dataDir, photos, etags.get(lightbox) as string)));
    return lines.join('\n');
  } finally {
    for (const server of servers) await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.env.SECONDS_PER_CELL ?? '2');
  process.stdout.write(`${await benchImageScale({ seconds, rounds: Number(process.env.ROUNDS ?? '3'), connections: 50 })}\n`);
}
