// Start-up and maintenance at scale: /healthz from the first second of a server's start on a
// 100k library (while the orphan sweep walks every file) and on 1M rows, and what `lightbox
// backup` (first and repeat) and `lightbox verify` cost there, with their peak RSS at two sizes
// to show it flat. The libraries are scale-library copies with hard-linked files (scale-files.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { formatNumber } from './lib/format.ts';
import { freePort } from './lib/ports.ts';
import { linkScaleFiles, type SeedFiles, seedFilesOf } from './lib/scale-files.ts';
import { copyScaleLibrary, seedScaleLibrary } from './lib/scale-library.ts';

const LIGHTBOX = fileURLToPath(new URL('../bin/lightbox.js', import.meta.url));
const SWEEP_DONE = 'removed files no photo refers to any more';
const TWO_HOURS_AGO = new Date(Date.now() - 2 * 60 * 60 * 1000);

export interface StartupScaleOptions {
  /** The library with files: /healthz during start-up, backup and verify (default 100,000). */
  photos?: number;
  /** A smaller library with files, for the peak RSS of backup and verify beside the big one's (default 10,000; 0 skips it). */
  smallPhotos?: number;
  /** Rows without files, for /healthz alone (default 1,000,000; 0 skips it). */
  healthRows?: number;
  /** Whether to run `lightbox verify` (it reads every original: about 11 GB at 100k). Default true. */
  verify?: boolean;
}

interface Probe {
  atMs: number;
  ms: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** A copy of the seed's database grown to `size` photos (each with one DONE job); with its files when `files`. */
function libraryOf(seedDir: string, dataDir: string, size: number, files: boolean): void {
  const seed = new Database(path.join(seedDir, 'lightbox.db'));
  let seeds: SeedFiles[];
  try {
    seeds = seedFilesOf(seed, seedDir);
  } finally {
    seed.close();
  }
  copyScaleLibrary(seedDir, dataDir, size);
  if (files) {
    const sqlite = new Database(path.join(dataDir, 'lightbox.db'));
    try {
      linkScaleFiles(sqlite, dataDir, seeds);
    } finally {
      sqlite.close();
    }
  }
  if (files) plantOrphans(dataDir);
}

/** One old original and one old renditions folder no row names: the sweep removes them and logs when it is done. */
function plantOrphans(dataDir: string): void {
  const hash = 'f'.repeat(64);
  const original = path.join(dataDir, 'originals', 'ff', 'ff', `${hash}.jpg`);
  const renditions = path.join(dataDir, 'derived', 'ZZ', 'Z'.repeat(22));
  for (const file of [original, path.join(renditions, 'thumb.v1.webp')]) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'orphan');
  }
  utimesSync(original, TWO_HOURS_AGO, TWO_HOURS_AGO);
  utimesSync(renditions, TWO_HOURS_AGO, TWO_HOURS_AGO);
}

interface Started {
  child: ChildProcess;
  spawnedMs: number;
  sweepDone: Promise<number>;
}

function serve(dataDir: string, port: number): Started {
  const env = {
    ...process.env,
    LIGHTBOX_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LIGHTBOX_WORKERS: '0',
    LOG_LEVEL: 'info',
  };
  const spawnedMs = performance.now();
  const child = spawn(process.execPath, [LIGHTBOX, 'serve'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const sweepDone = new Promise<number>((resolve) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes(SWEEP_DONE)) resolve(performance.now());
    });
  });
  return { child, spawnedMs, sweepDone };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One /healthz, timed; undefined while nothing listens yet. */
async function probe(port: number): Promise<number | undefined> {
  const started = performance.now();
  try {
    const response = await request(`http://127.0.0.1:${port}/healthz`, { headersTimeout: 10_000 });
    await response.body.dump();
    return response.statusCode === 200 ? performance.now() - started : undefined;
  } catch {
    return undefined;
  }
}

/** Probes /healthz one after another from the spawn until `until` has settled and a second has passed since the first answer (bounded by `maxMs`). */
async function probeUntil(port: number, until: Promise<unknown>, maxMs: number): Promise<{ firstOkMs: number; probes: Probe[] }> {
  let settled = false;
  until.then(() => {
    settled = true;
  });
  const started = performance.now();
  const probes: Probe[] = [];
  let firstOkMs = Number.NaN;
  const done = () => settled && performance.now() - started > firstOkMs + 1_000;
  while (!done() && performance.now() - started < maxMs) {
    const atMs = performance.now() - started;
    const ms = await probe(port);
    if (ms === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (Number.isNaN(firstOkMs)) firstOkMs = atMs;
    probes.push({ atMs, ms });
  }
  return { firstOkMs, probes };
}

interface StartupFigures {
  firstOkMs: number;
  firstSecond: number[];
  duringSweep: number[];
  sweepMs: number;
  steady: number[];
}

/** A server started on `dataDir`: /healthz from its first answer, while the sweep runs, then once it is done. */
async function startupOf(dataDir: string, withSweep: boolean): Promise<StartupFigures> {
  const port = await freePort();
  const server = serve(dataDir, port);
  try {
    const { firstOkMs, probes } = await probeUntil(port, withSweep ? server.sweepDone : Promise.resolve(), 180_000);
    const sweepEnd = withSweep ? (await server.sweepDone) - server.spawnedMs : Number.NaN;
    const steady: number[] = [];
    for (let i = 0; i < 500; i++) steady.push((await probe(port)) ?? Number.NaN);
    return {
      firstOkMs,
      firstSecond: probes.filter((p) => p.atMs < firstOkMs + 1_000).map((p) => p.ms),
      duringSweep: probes.map((p) => p.ms),
      sweepMs: sweepEnd - firstOkMs,
      steady,
    };
  } finally {
    await stop(server.child);
  }
}

/** Runs a command of the CLI; its last line says "Done in X s, peak RSS Y MB." */
async function timedCommand(args: string[], dataDir: string): Promise<{ seconds: number; rssMb: number; code: number | null }> {
  const child = spawn(process.execPath, [LIGHTBOX, ...args], {
    env: { ...process.env, LIGHTBOX_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const done = /Done in ([\d.]+) s, peak RSS (\d+) MB/.exec(output);
  return { seconds: Number(done?.[1]), rssMb: Number(done?.[2]), code };
}

const ms = (value: number) => `${formatNumber(value, value < 10 ? 1 : 0)} ms`;
const p = (values: number[], q: number) => ms(quantile(values, q));

export async function benchStartupScale(options: StartupScaleOptions = {}): Promise<string> {
  const photos = options.photos ?? 100_000;
  const smallPhotos = options.smallPhotos ?? 10_000;
  const healthRows = options.healthRows ?? 1_000_000;
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-startup-scale-'));
  const rows: string[] = [];
  const row = (what: string, value: string) => rows.push(`| ${what} | ${value} |`);
  try {
    const seedDir = path.join(workDir, 'seed');
    await seedScaleLibrary(seedDir);

    const bigDir = path.join(workDir, `library-${photos}`);
    let started = performance.now();
    libraryOf(seedDir, bigDir, photos, true);
    row(
      `${formatNumber(photos)} photos with files: built (rows, hard links)`,
      `${formatNumber((performance.now() - started) / 1000, 1)} s`,
    );

    const start = await startupOf(bigDir, true);
    row('spawn → first /healthz 200', ms(start.firstOkMs));
    row(
      '/healthz p50 / p99 / max, first second',
      `${p(start.firstSecond, 0.5)} / ${p(start.firstSecond, 0.99)} / ${p(start.firstSecond, 1)}`,
    );
    row(
      `/healthz p50 / p99 / max from the first answer until the sweep is done (${formatNumber(start.duringSweep.length)} probes)`,
      `${p(start.duringSweep, 0.5)} / ${p(start.duringSweep, 0.99)} / ${p(start.duringSweep, 1)}`,
    );
    row('orphan sweep, first /healthz → done (worker thread)', `${formatNumber(start.sweepMs / 1000, 1)} s`);
    row('/healthz p50 / p99 after (500 probes)', `${p(start.steady, 0.5)} / ${p(start.steady, 0.99)}`);

    const sizes = smallPhotos > 0 ? [smallPhotos, photos] : [photos];
    for (const size of sizes) {
      const dataDir = size === photos ? bigDir : path.join(workDir, `library-${size}`);
      if (size !== photos) libraryOf(seedDir, dataDir, size, true);
      const backupDir = path.join(workDir, `backup-${size}`);
      const first = await timedCommand(['backup', backupDir], dataDir);
      const repeat = await timedCommand(['backup', backupDir], dataDir);
      row(`${formatNumber(size)}: \`lightbox backup\`, first run`, `${first.seconds} s, peak RSS ${first.rssMb} MB`);
      row(`${formatNumber(size)}: \`lightbox backup\`, repeat, nothing new`, `${repeat.seconds} s, peak RSS ${repeat.rssMb} MB`);
      if (options.verify ?? true) {
        // The copies share their seed's bytes, so verify finds each one damaged: it still reads and hashes every original.
        const verify = await timedCommand(['verify'], dataDir);
        row(`${formatNumber(size)}: \`lightbox verify\` (reads every original)`, `${verify.seconds} s, peak RSS ${verify.rssMb} MB`);
      }
      if (size !== photos) await rm(dataDir, { recursive: true, force: true });
      await rm(backupDir, { recursive: true, force: true });
    }
    await rm(bigDir, { recursive: true, force: true });

    if (healthRows > 0) {
      const rowsDir = path.join(workDir, `rows-${healthRows}`);
      started = performance.now();
      libraryOf(seedDir, rowsDir, healthRows, false);
      row(`${formatNumber(healthRows)} rows, no files: built`, `${formatNumber((performance.now() - started) / 1000, 1)} s`);
      const rowsOnly = await startupOf(rowsDir, false);
      row(
        `${formatNumber(healthRows)} rows: /healthz p50 / p99, first second`,
        `${p(rowsOnly.firstSecond, 0.5)} / ${p(rowsOnly.firstSecond, 0.99)}`,
      );
      row(`${formatNumber(healthRows)} rows: /healthz p50 / p99 (500 probes)`, `${p(rowsOnly.steady, 0.5)} / ${p(rowsOnly.steady, 0.99)}`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return ['| start-up and maintenance (every photo has one DONE job; LIGHTBOX_WORKERS=0) | |', '|---|--:|', ...rows].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [photos, smallPhotos, healthRows] = process.argv.slice(2).map(Number);
  process.stdout.write(`${await benchStartupScale({ photos, smallPhotos, healthRows, verify: !process.argv.includes('--no-verify') })}\n`);
}
