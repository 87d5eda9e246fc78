// Importing into a big library: the rate of `lightbox import` and of the worker into an empty
// library and into one of `size` photos, rounds alternating; then a reader's latency while another
// process imports into the big one.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { createPhotoWorker } from '../src/processing/service.ts';
import { openStore } from '../src/storage/open-store.ts';
import { formatNumber } from './lib/format.ts';
import { copyScaleLibrary } from './lib/scale-library.ts';
import { startServer } from './lib/server-process.ts';
import { runWrk } from './lib/wrk.ts';

const LIGHTBOX = fileURLToPath(new URL('../bin/lightbox.js', import.meta.url));

export interface ScaleImportOptions {
  /** The big library's size. */
  size: number;
  /** Photos imported per round and library. */
  photos: number;
  rounds: number;
  /** Seconds of wrk for the reader. */
  seconds: number;
  connections: number;
  /** The data dir of a scale library to copy (made by the scale section), and the seed it was made from. */
  seedDir: string;
}

let made = 0;

/** `count` JPEGs of 12 megapixels, none the same as any before (imports skip bytes they hold). */
async function newPhotos(folder: string, count: number): Promise<string> {
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < count; i++, made++) {
    const background = { r: (made * 37) % 256, g: (made * 91) % 256, b: (made * 53 + 7) % 256 };
    await sharp({ create: { width: 4000, height: 3000, channels: 3, background } })
      .withExif({ IFD0: { Make: 'Bench', Model: `Import ${made}` } })
      .jpeg({ quality: 80 })
      .toFile(path.join(folder, `import-${made}.jpg`));
  }
  return folder;
}

/** Photos per second of importing `folder` into `dataDir`, then of processing what it queued (worker, 2 jobs at a time). */
async function importRates(dataDir: string, folder: string): Promise<{ ingest: number; process: number }> {
  const store = await openStore(loadConfig({ LIGHTBOX_DATA_DIR: dataDir }), { create: true });
  try {
    const started = performance.now();
    const summary = await importFolder({ db: store.database.db, layout: store.layout }, folder, {
      album: 'Imported',
      visibility: 'PUBLIC',
    });
    const ingestSeconds = (performance.now() - started) / 1000;
    let settled = 0;
    let allSettled = () => {};
    const processed = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    const worker = createPhotoWorker(store, createLogger('silent'), loadConfig({}).jobs, 2, {
      onSettled: () => {
        if (++settled === summary.imported) allSettled();
      },
    });
    const processing = performance.now();
    // The worker's poll timer does not hold the process open (a server's does not either).
    const keepAlive = setInterval(() => {}, 1000);
    worker.start();
    await processed;
    clearInterval(keepAlive);
    const processSeconds = (performance.now() - processing) / 1000;
    await worker.stop(10_000);
    return { ingest: summary.imported / ingestSeconds, process: summary.imported / processSeconds };
  } finally {
    store.close();
  }
}

export async function benchImportAtScale(options: ScaleImportOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-import-'));
  try {
    const empty = path.join(workDir, 'empty');
    const big = path.join(workDir, 'big');
    copyScaleLibrary(options.seedDir, big, options.size);
    const rates = { empty: { ingest: [] as number[], process: [] as number[] }, big: { ingest: [] as number[], process: [] as number[] } };
    for (let round = 0; round < options.rounds; round++) {
      for (const [name, dataDir] of [
        ['empty', empty],
        ['big', big],
      ] as const) {
        const rate = await importRates(dataDir, await newPhotos(path.join(workDir, `photos-${name}-${round}`), options.photos));
        rates[name].ingest.push(rate.ingest);
        rates[name].process.push(rate.process);
      }
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const row = (label: string, key: 'ingest' | 'process') =>
      `| ${label} | ${mean(rates.empty[key]).toFixed(1)} | ${mean(rates.big[key]).toFixed(1)} | ${(mean(rates.big[key]) / mean(rates.empty[key])).toFixed(2)}× |`;

    const server = await startServer('Lightbox, big library', 'lightbox.ts', [big]);
    let quiet: Awaited<ReturnType<typeof runWrk>>;
    let importing: Awaited<ReturnType<typeof runWrk>>;
    try {
      const url = `http://127.0.0.1:${server.port}/graphql`;
      const script = path.join(workDir, 'reader.lua');
      const body = JSON.stringify({ query: '{ photos(first: 50) { totalCount nodes { id title image(variant: THUMB) { url } } } }' });
      await writeFile(
        script,
        `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
      );
      // Unmeasured first: the first requests prepare statements and read cold pages.
      await runWrk(url, 1, {}, options.connections, script);
      quiet = await runWrk(url, options.seconds, {}, options.connections, script);
      const folder = await newPhotos(path.join(workDir, 'photos-live'), options.photos * 2);
      const importer = spawn(process.execPath, [LIGHTBOX, 'import', folder, '--album', 'Live'], {
        env: { ...process.env, LIGHTBOX_DATA_DIR: big },
        stdio: 'ignore',
      });
      try {
        importing = await runWrk(url, options.seconds, {}, options.connections, script);
      } finally {
        importer.kill('SIGKILL');
      }
    } finally {
      await server.stop();
    }
    return `Photos per second, ${options.photos} new 12-megapixel JPEGs per round, ${options.rounds} rounds alternating
between an empty library and one of ${formatNumber(options.size)} photos (bench/lib/scale-library.ts):
\`importFolder\` as \`lightbox import\` runs it, then the worker (2 jobs at a time) processing what it queued.

| photos/s | empty library | ${formatNumber(options.size)} photos | ratio |
|---|--:|--:|--:|
${row('import (hash, probe, store, commit)', 'ingest')}
${row('process (renditions, metadata)', 'process')}

The anonymous \`photos(first: 50) { totalCount … }\` on the ${formatNumber(options.size)}-photo library, read cache
on, wrk ${options.connections} connections, ${options.seconds} s: alone, and while \`lightbox import\` adds photos
from another process (every commit makes the next read go to SQLite).

| reader | req/s | p99 ms |
|---|--:|--:|
| alone | ${formatNumber(Math.round(quiet.requestsPerSecond))} | ${quiet.p99Ms.toFixed(1)} |
| during an import | ${formatNumber(Math.round(importing.requestsPerSecond))} | ${importing.p99Ms.toFixed(1)} |`;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
