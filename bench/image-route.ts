import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { openStore } from '../src/storage/open-store.ts';
import { benchImageScale } from './image-scale.ts';
import { formatNumber } from './lib/format.ts';
import { startLightboxServe } from './lib/lightbox-serve.ts';
import { medianOfRatios } from './lib/median.ts';
import { startNginx } from './lib/nginx.ts';
import { type BenchServer, startServer } from './lib/server-process.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';

/** File sizes of the 200 rows: a thumbnail, a screen-sized image, a large photo. */
const FILES = [
  { label: '20 KB', name: 'photo-20k.png', side: 80 },
  { label: '250 KB', name: 'photo-250k.png', side: 290 },
  { label: '2.5 MB', name: 'photo-2500k.png', side: 915 },
] as const;

interface ServerSpec {
  name: string;
  /** Undefined when the peer is not installed here (nginx): the table says so instead of a row. */
  start(roots: { staticDir: string; dataDir: string }): Promise<BenchServer | undefined>;
}

const node = (name: string, script: string): ServerSpec => ({
  name,
  start: (roots) => startServer(name, script, [roots.staticDir]),
});

/**
 * Lightbox as a user runs it: `lightbox serve` (bench/lib/lightbox-serve.ts), its own copy of the
 * library (one server per data dir), default settings but for those given.
 */
const lightbox = (name: string, env: Record<string, string> = {}, root?: string): ServerSpec => ({
  name,
  start: async (roots) => {
    const own = `${roots.dataDir}-${name.replace(/\W+/g, '-')}`;
    await cp(roots.dataDir, own, { recursive: true });
    return startLightboxServe(name, own, { env, root });
  },
});

/** The name of Lightbox run from another checkout (`--against <dir>`): its row's "Lightbox ×" is this tree's over that one's. */
const AGAINST = 'Lightbox at ';

const SERVERS: ServerSpec[] = [
  lightbox('Lightbox'),
  // The same server with its memories off: a row read, a stat and a stream per request.
  lightbox('Lightbox, cache off', { LIGHTBOX_IMAGE_CACHE_MB: '0' }),
  { name: 'nginx', start: (roots) => startNginx('nginx', roots.staticDir) },
  node('sirv', 'sirv.ts'),
  node('bare stat+md5', 'bare-stat-md5.ts'),
  node('@fastify/static', 'fastify-static.ts'),
  node('serve-static', 'serve-static.ts'),
];

export interface ImageRouteOptions {
  seconds: number;
  rounds: number;
  connections: number;
  /** Other checkouts whose Lightbox is measured beside this one, same rows, same rounds (an A/B each). */
  against?: string[];
  /** Only the cases whose label contains this text (for profiling one row). */
  only?: string | undefined;
}

interface Cell {
  requests: number;
  seconds: number;
  cpuSeconds: number;
  /** Each round's requests per server CPU-second, in round order. */
  perRound: number[];
  p99Ms: number[];
  errors: number;
}

/** Uncompressed PNG noise: the size is predictable and every server sends the same bytes. */
async function writeNoisePng(file: string, side: number): Promise<void> {
  const png = await sharp({
    create: { width: side, height: side, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } },
  })
    // Default settings: what anyone but the admin receives is this file re-encoded by the same encoder,
    // which then comes out the same size, so Lightbox and its peers serve equal bytes.
    .png()
    .toBuffer();
  await writeFile(file, png);
}

async function prepare(workDir: string): Promise<{ staticDir: string; dataDir: string; lightboxPaths: Map<string, string> }> {
  const staticDir = path.join(workDir, 'static');
  const dataDir = path.join(workDir, 'lightbox-data');
  await mkdir(staticDir, { recursive: true });
  for (const file of FILES) await writeNoisePng(path.join(staticDir, file.name), file.side);
  const { layout, database } = await openStore(loadConfig({ LIGHTBOX_DATA_DIR: dataDir }), { create: true });
  const lightboxPaths = new Map<string, string>();
  try {
    await importFolder({ db: database.db, layout }, staticDir, { album: 'bench', visibility: 'PUBLIC' });
    const rows = database.sqlite.prepare('SELECT public_id, original_filename, version, url_key FROM photos').all() as {
      public_id: string;
      original_filename: string;
      version: number;
      url_key: string;
    }[];
    for (const row of rows)
      lightboxPaths.set(row.original_filename, `/images/${row.public_id}/original.png?v=${row.version}.${row.url_key}`);
  } finally {
    database.close();
  }
  return { staticDir, dataDir, lightboxPaths };
}

/**
 * Lightbox's URL for a file: versioned (`?v=`, immutable, what a gallery page links) or the bare
 * path a browser revalidates. Peers have one URL per file either way.
 */
function urlFor(server: BenchServer, lightboxPaths: Map<string, string>, file: string, versioned: boolean): string {
  const lightboxPath = lightboxPaths.get(file) ?? '';
  const pathname = server.name.startsWith('Lightbox') ? (versioned ? lightboxPath : lightboxPath.replace(/\?.*$/, '')) : `/${file}`;
  return `http://127.0.0.1:${server.port}${pathname}`;
}

async function measure(
  server: BenchServer,
  url: string,
  options: ImageRouteOptions,
  headers: Record<string, string>,
  cell: Cell,
): Promise<void> {
  const before = await server.cpuSeconds();
  const result: WrkResult = await runWrk(url, options.seconds, headers, options.connections);
  const after = await server.cpuSeconds();
  cell.requests += result.requests;
  cell.seconds += result.seconds;
  cell.cpuSeconds += after - before;
  cell.perRound.push(after > before ? result.requests / (after - before) : Number.NaN);
  cell.p99Ms.push(result.p99Ms);
  cell.errors += result.non2xx3xx + result.socketErrors;
}

/** The scale table's rows, as `--cases` matches them. */
const SCALE_LABEL = '304, distinct photos of a 100,000-photo library';

/** The peers' table, then the same 304 at library scale against nginx (bench/image-scale.ts), each with its own servers. */
export async function benchImageRoute(options: ImageRouteOptions): Promise<string> {
  const peers = await benchPeers(options);
  if (options.only !== undefined && !SCALE_LABEL.includes(options.only)) return peers;
  const scale = await benchImageScale({ seconds: options.seconds, rounds: options.rounds, connections: options.connections });
  return `${peers}\n\n${scale}`;
}

/** The image route against nginx, sirv, a bare stat+md5 handler, @fastify/static and serve-static: same files, same run, servers alternating. */
async function benchPeers(options: ImageRouteOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-'));
  const servers: BenchServer[] = [];
  const absent: string[] = [];
  try {
    const { staticDir, dataDir, lightboxPaths } = await prepare(workDir);
    const specs =
      options.against === undefined
        ? SERVERS
        : [SERVERS[0] as ServerSpec, ...options.against.map((root) => lightbox(`${AGAINST}${root}`, {}, root)), ...SERVERS.slice(1)];
    for (const spec of specs) {
      const server = await spec.start({ staticDir, dataDir });
      if (server === undefined) absent.push(spec.name);
      else servers.push(server);
    }

    const rows: { label: string; file: string; conditional: boolean; versioned: boolean }[] = [
      // What a browser sends when it revalidates: the URL without ?v= (versioned URLs are immutable).
      { label: '304, revalidation (no ?v=, 20 KB file)', file: FILES[0].name, conditional: true, versioned: false },
      { label: '304, versioned URL (20 KB file)', file: FILES[0].name, conditional: true, versioned: true },
      ...FILES.map((file) => ({ label: `200, ${file.label}`, file: file.name, conditional: false, versioned: true })),
    ].filter((row) => options.only === undefined || row.label.includes(options.only));
    const cells = new Map<string, Cell>();
    const cellFor = (row: string, server: string) => {
      const key = `${row}|${server}`;
      let cell = cells.get(key);
      if (cell === undefined) {
        cell = { requests: 0, seconds: 0, cpuSeconds: 0, perRound: [], p99Ms: [], errors: 0 };
        cells.set(key, cell);
      }
      return cell;
    };

    for (const row of rows) {
      const headersFor = new Map<string, Record<string, string>>();
      for (const server of servers) {
        const url = urlFor(server, lightboxPaths, row.file, row.versioned);
        const probe = await request(url);
        await probe.body.dump();
        if (probe.statusCode !== 200) throw new Error(`${server.name} answered ${probe.statusCode} for ${url}`);
        headersFor.set(server.name, row.conditional ? { 'If-None-Match': String(probe.headers.etag) } : {});
        // Warm-up: JIT, file caches, keep-alive pools.
        await runWrk(url, 1, headersFor.get(server.name), options.connections);
      }
      for (let round = 0; round < options.rounds; round++) {
        // Alternate the order so drift on a shared machine does not favour one server.
        const order = servers.map((_, index) => servers[(index + round) % servers.length] as BenchServer);
        for (const server of order) {
          process.stderr.write(`  ${row.label}: ${server.name} (round ${round + 1}/${options.rounds})\n`);
          await measure(
            server,
            urlFor(server, lightboxPaths, row.file, row.versioned),
            options,
            headersFor.get(server.name) ?? {},
            cellFor(row.label, server.name),
          );
        }
      }
    }

    const perCpu = (cell: Cell) => (cell.cpuSeconds > 0 ? cell.requests / cell.cpuSeconds : 0);
    const lines = [
      '| case | server | req/s | p99 | req per server CPU-s | Lightbox × | Lightbox, cache off × |',
      '|---|---|--:|--:|--:|--:|--:|',
    ];
    for (const row of rows) {
      const lightbox = cellFor(row.label, 'Lightbox');
      const uncached = cellFor(row.label, 'Lightbox, cache off');
      for (const spec of servers) {
        const cell = cellFor(row.label, spec.name);
        const ratio = (ours: Cell) =>
          spec.name.startsWith('Lightbox') && !spec.name.startsWith(AGAINST)
            ? ''
            : `${formatNumber(medianOfRatios(ours.perRound, cell.perRound), 2)}×`;
        const p99 = Math.max(...cell.p99Ms);
        const errors = cell.errors > 0 ? ` (${cell.errors} errors)` : '';
        lines.push(
          `| ${row.label} | ${spec.name} | ${formatNumber(cell.requests / cell.seconds)}${errors} | ${formatNumber(p99, 2)} ms | ${formatNumber(perCpu(cell))} | ${ratio(lightbox)} | ${ratio(uncached)} |`,
        );
      }
    }
    if (absent.length > 0) lines.push('', `Not installed here, so not measured: ${absent.join(', ')} (apt-get install nginx).`);
    return lines.join('\n');
  } finally {
    for (const server of servers) await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
