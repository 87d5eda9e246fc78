// Several server processes (LIGHTBOX_PROCESSES) against one: `lightbox serve` started as a person
// starts it, the same library, the same rows, rounds alternating. Loopback only, every run bounded.
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { MAX_INPUT_PIXELS } from '../src/media/limits.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { processPhoto } from '../src/processing/process-photo.ts';
import { openStore } from '../src/storage/open-store.ts';
import { GALLERY_QUERY, uncachedPostScript } from './graphql.ts';
import { formatNumber } from './lib/format.ts';
import { type ServeProcess, startLightboxServe } from './lib/lightbox-serve.ts';
import { medianOfRatios } from './lib/median.ts';
import { processCpuSeconds, residentMegabytes } from './lib/server-process.ts';
import { runWrk } from './lib/wrk.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PHOTOS = path.join(REPO, 'test/fixtures/photos/orientation');

export interface ProcessesBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  /** Only the rows whose label contains this text. */
  only?: string;
}

/** One way of running the server, and where it and wrk may run. */
interface Setup {
  name: string;
  processes: number;
  /** taskset CPU lists; undefined: anywhere. */
  serverCpus: string | undefined;
  wrkCpus: string | undefined;
  /** node:cluster's scheduling: the primary hands out connections (rr), or the processes accept them (none). */
  schedule?: 'rr' | 'none';
}

const BOTH = availableParallelism() >= 2 ? '0,1' : undefined;
const SETUPS: Setup[] = [
  // As every other section runs: the server on core 0, wrk on core 1.
  { name: '1 process (server on CPU 0, wrk on CPU 1)', processes: 1, serverCpus: BOTH && '0', wrkCpus: BOTH && '1' },
  { name: '1 process, sharing both CPUs with wrk', processes: 1, serverCpus: BOTH, wrkCpus: BOTH },
  { name: '2 processes, round-robin (the default)', processes: 2, serverCpus: BOTH, wrkCpus: BOTH, schedule: 'rr' },
  { name: '2 processes, SCHED_NONE (each accepts)', processes: 2, serverCpus: BOTH, wrkCpus: BOTH, schedule: 'none' },
];

/** A `lightbox serve` this bench started, with the setup it runs as. */
interface RunningServe extends ServeProcess {
  setup: Setup;
}

interface Cell {
  requests: number;
  seconds: number;
  perRound: number[];
  perCpuRound: number[];
  cpuSeconds: number;
  /** CPU seconds of each pid of RunningServe.pids, summed over the rounds. */
  cpuByPid: number[];
  p99Ms: number;
  errors: number;
  /** Largest RSS of each process seen after a round, MB. */
  peakRss: number[];
}

/** Uncompressed noise, 80 px square: the image section's 20 KB file, made the same way so the rows compare. */
async function writeTwentyKilobytePng(file: string): Promise<void> {
  const noise = { type: 'gaussian' as const, mean: 128, sigma: 60 };
  await sharp({ create: { width: 80, height: 80, channels: 3, background: '#808080', noise } })
    .png()
    .toFile(file);
}

/** The library every server gets a copy of: the 20 KB photo in a public album, and 20 public albums of the orientation photos, processed. */
async function prepareLibrary(workDir: string): Promise<{ dataDir: string; imagePath: string }> {
  const dataDir = path.join(workDir, 'data');
  const single = path.join(workDir, 'single');
  await mkdir(single);
  await writeTwentyKilobytePng(path.join(single, 'photo-20k.png'));
  const { layout, database } = await openStore(loadConfig({ LIGHTBOX_DATA_DIR: dataDir }), { create: true });
  try {
    await importFolder({ db: database.db, layout }, single, { album: 'bench', visibility: 'PUBLIC' });
    for (let i = 1; i <= 20; i++) await importFolder({ db: database.db, layout }, PHOTOS, { album: `Album ${i}`, visibility: 'PUBLIC' });
    const ids = database.sqlite.prepare('SELECT id FROM photos').pluck().all() as number[];
    const deps = { db: database.db, layout, limits: { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 } };
    for (const id of ids) await processPhoto(deps, id);
    const row = database.sqlite.prepare("SELECT public_id FROM photos WHERE original_filename = 'photo-20k.png'").get() as {
      public_id: string;
    };
    return { dataDir, imagePath: `/images/${row.public_id}/original.png` };
  } finally {
    database.close();
  }
}

/** `lightbox serve` on its own copy of the library, pinned as the setup says. */
async function startServe(setup: Setup, dataDir: string): Promise<RunningServe> {
  const env = {
    LIGHTBOX_PROCESSES: String(setup.processes),
    ...(setup.schedule === undefined ? {} : { NODE_CLUSTER_SCHED_POLICY: setup.schedule }),
  };
  return { ...(await startLightboxServe(setup.name, dataDir, { env, cpus: setup.serverCpus })), setup };
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';
}

/** LIGHTBOX_PROCESSES=2 against 1: req/s and req per server CPU-second (every process of the server, the supervisor included). */
export async function benchProcesses(options: ProcessesBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-processes-'));
  const servers: RunningServe[] = [];
  const loadAtStart = loadAverage();
  try {
    const { dataDir, imagePath } = await prepareLibrary(workDir);
    for (const [index, setup] of SETUPS.entries()) {
      // One server per data dir: each gets its own copy of the same library.
      const own = `${dataDir}-${index}`;
      await cp(dataDir, own, { recursive: true });
      servers.push(await startServe(setup, own));
    }
    const idleRss = servers.map((server) => server.pids.map(residentMegabytes));
    const uncached = await uncachedPostScript(path.join(workDir, 'post-uncached.lua'), GALLERY_QUERY);
    const probe = await request(`http://127.0.0.1:${(servers[0] as RunningServe).port}${imagePath}`);
    await probe.body.dump();
    if (probe.statusCode !== 200) throw new Error(`the 20 KB photo answered ${probe.statusCode}`);
    const rows = [
      { label: '304, revalidation (no ?v=, 20 KB file)', path: imagePath, etag: true, headers: {} as Record<string, string> },
      { label: '200, 20 KB', path: imagePath, etag: false, headers: {} },
      { label: 'GraphQL gallery page, uncached (POST)', path: '/graphql', etag: false, headers: {}, script: uncached },
      // Every request a new connection: what handing connections out costs the round-robin supervisor.
      { label: '304, a new connection per request', path: imagePath, etag: true, headers: { Connection: 'close' } },
    ].filter((row) => options.only === undefined || row.label.includes(options.only));

    const cells = new Map<string, Cell>();
    for (const row of rows) {
      const headersOf = new Map<RunningServe, Record<string, string>>();
      for (const server of servers) {
        const url = `http://127.0.0.1:${server.port}${row.path}`;
        const headers = { ...row.headers };
        if (row.etag) {
          const first = await request(url);
          await first.body.dump();
          headers['If-None-Match'] = String(first.headers.etag);
        }
        headersOf.set(server, headers);
        // Warm-up: JIT, file caches, keep-alive pools.
        await runWrk(url, 1, headers, options.connections, 'script' in row ? row.script : undefined, server.setup.wrkCpus);
      }
      for (let round = 0; round < options.rounds; round++) {
        const order = servers.map((_, index) => servers[(index + round) % servers.length] as RunningServe);
        for (const server of order) {
          process.stderr.write(`  ${row.label}: ${server.setup.name} (round ${round + 1}/${options.rounds})\n`);
          const key = `${row.label}|${server.setup.name}`;
          const cell = cells.get(key) ?? {
            requests: 0,
            seconds: 0,
            perRound: [],
            perCpuRound: [],
            cpuSeconds: 0,
            cpuByPid: server.pids.map(() => 0),
            p99Ms: 0,
            errors: 0,
            peakRss: server.pids.map(() => 0),
          };
          cells.set(key, cell);
          const before = server.pids.map(processCpuSeconds);
          const url = `http://127.0.0.1:${server.port}${row.path}`;
          const result = await runWrk(
            url,
            options.seconds,
            headersOf.get(server),
            options.connections,
            'script' in row ? row.script : undefined,
            server.setup.wrkCpus,
          );
          const spent = server.pids.map((pid, index) => processCpuSeconds(pid) - (before[index] as number));
          const cpu = spent.reduce((sum, each) => sum + each, 0);
          cell.requests += result.requests;
          cell.seconds += result.seconds;
          cell.perRound.push(result.requestsPerSecond);
          cell.perCpuRound.push(cpu > 0 ? result.requests / cpu : Number.NaN);
          cell.cpuSeconds += cpu;
          spent.forEach((each, index) => {
            cell.cpuByPid[index] = (cell.cpuByPid[index] as number) + each;
          });
          cell.p99Ms = Math.max(cell.p99Ms, result.p99Ms);
          cell.errors += result.non2xx3xx + result.socketErrors;
          server.pids.forEach((pid, index) => {
            cell.peakRss[index] = Math.max(cell.peakRss[index] as number, residentMegabytes(pid));
          });
        }
      }
    }
    const table = report(rows, servers, cells, idleRss);
    // Other work on the machine lands on the cores this compares: a reader should see how busy it was.
    return `${table}\n\nLoad average (1 min) at the start of this section: ${loadAtStart}; at its end: ${loadAverage()}.`;
  } finally {
    for (const server of servers) await server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

function report(rows: { label: string }[], servers: RunningServe[], cells: Map<string, Cell>, idleRss: number[][]): string {
  const baseline = SETUPS[0] as Setup;
  const lines = [
    '| case | server | req/s | p99 | req per server CPU-s | CPU: supervisor / each process | req/s × 1 process | per CPU-s × 1 process |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const ours = cells.get(`${row.label}|${baseline.name}`) as Cell;
    for (const server of servers) {
      const cell = cells.get(`${row.label}|${server.setup.name}`) as Cell;
      const split =
        server.pids.length === 1 ? '—' : cell.cpuByPid.map((each) => `${formatNumber((100 * each) / cell.cpuSeconds)}%`).join(' / ');
      const versus =
        server.setup === baseline
          ? ['', '']
          : [medianOfRatios(cell.perRound, ours.perRound), medianOfRatios(cell.perCpuRound, ours.perCpuRound)].map(
              (ratio) => `${formatNumber(ratio, 2)}×`,
            );
      lines.push(
        `| ${row.label} | ${server.setup.name}${cell.errors > 0 ? ` (${cell.errors} errors)` : ''} | ${formatNumber(cell.requests / cell.seconds)} | ${formatNumber(cell.p99Ms, 2)} ms | ${formatNumber(cell.requests / cell.cpuSeconds)} | ${split} | ${versus[0]} | ${versus[1]} |`,
      );
    }
  }
  lines.push('', '| RSS, MB | supervisor | each server process, idle | each server process, largest after a round |', '|---|--:|--:|--:|');
  servers.forEach((server, index) => {
    const idle = idleRss[index] as number[];
    const peaks = server.pids.map((_, pid) =>
      Math.max(...rows.map((row) => (cells.get(`${row.label}|${server.setup.name}`) as Cell).peakRss[pid] as number)),
    );
    const supervised = server.pids.length > 1;
    const own = (values: number[]) => (supervised ? values.slice(1) : values).map((value) => formatNumber(value)).join(' / ');
    lines.push(`| ${server.setup.name} | ${supervised ? formatNumber(idle[0] as number) : '—'} | ${own(idle)} | ${own(peaks)} |`);
  });
  return lines.join('\n');
}
