import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { startLightbox } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { heifDecoders } from '../src/media/heif-decoder.ts';
import { MAX_INPUT_PIXELS } from '../src/media/limits.ts';
import { writePublicOriginal } from '../src/media/public-original.ts';
import { renderRendition } from '../src/media/render-queue.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { filesThrough } from '../src/storage/file-store.ts';
import { openStore } from '../src/storage/open-store.ts';
import { formatNumber } from './lib/format.ts';
import { runWrk } from './lib/wrk.ts';
import { timed } from './processing.ts';

export interface HeicBenchOptions {
  seconds: number;
}

const IPHONE = fileURLToPath(new URL('../test/fixtures/photos/heic/iphone-13-pro-max.heic', import.meta.url));
const LIMITS = { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 };

/** The same HEIC with a different tail (a `free` box), so each copy is a new photo to the importer. */
function copyOf(heic: Buffer, index: number): Buffer {
  const free = Buffer.alloc(16);
  free.writeUInt32BE(16);
  free.write('free', 4, 'latin1');
  free.writeUInt32BE(index, 8);
  return Buffer.concat([heic, free]);
}

/**
 * The first thumbnail of a new photo (the path a photo takes before its eager renditions exist):
 * from the 12 MP iPhone HEIC (decode on a worker thread, the full-size JPEG every rendition is cut
 * from, then the thumbnail) against the same picture as a 12 MP JPEG.
 */
async function thumbnailsPerSecond(workDir: string, seconds: number): Promise<{ heic: number; jpeg: number }> {
  const jpeg = path.join(workDir, 'iphone.jpg');
  await writePublicOriginal(
    { source: IPHONE, destination: jpeg, extension: 'heic', orientation: 1, quarterTurns: 0 },
    { ...LIMITS, files: filesThrough(workDir) },
  );
  const out = path.join(workDir, 'thumbs');
  await mkdir(out, { recursive: true });
  const concurrency = availableParallelism();
  const thumb = (source: string, index: number) =>
    renderRendition(
      {
        source,
        quarterTurns: 0,
        destination: path.join(out, `${index}.webp`),
        variant: 'thumb',
        format: 'webp',
        width: 3024,
        height: 4032,
      },
      { ...LIMITS, files: filesThrough(workDir) },
    );
  let heic = 0;
  let fromJpeg = 0;
  for (const round of [0, 1]) {
    process.stderr.write(`  heic: thumbnails, round ${round + 1}/2\n`);
    fromJpeg += await timed(seconds / 2, concurrency, (index) => thumb(jpeg, index));
    heic += await timed(seconds / 2, concurrency, async (index) => {
      const copy = path.join(out, `${index}.jpg`);
      await writePublicOriginal(
        { source: IPHONE, destination: copy, extension: 'heic', orientation: 1, quarterTurns: 0 },
        { ...LIMITS, files: filesThrough(workDir) },
      );
      await thumb(copy, index);
    });
  }
  return { heic: heic / 2, jpeg: fromJpeg / 2 };
}

/**
 * The server's own event-loop delay while it serves a thumbnail under wrk: idle, then while its
 * in-process worker processes new 12 MP HEICs. Measured in this process, which runs the server.
 */
async function eventLoopDelay(
  workDir: string,
  seconds: number,
): Promise<{ idle: number; busy: number; photos: number; idleRps: number; busyRps: number }> {
  const dataDir = path.join(workDir, 'data');
  const sourceDir = path.join(workDir, 'import');
  await mkdir(sourceDir, { recursive: true });
  await copyFile(path.join(path.dirname(IPHONE), 'landscape-1.heic'), path.join(sourceDir, 'served.heic'));
  const base = { LIGHTBOX_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
  {
    const { layout, database } = await openStore(loadConfig(base), { create: true });
    await importFolder({ db: database.db, layout }, sourceDir, { album: 'bench', visibility: 'PUBLIC' });
    database.close();
  }
  const app = await startLightbox(loadConfig({ ...base, LIGHTBOX_WORKERS: '2' }), createLogger('silent'));
  try {
    const publicId = app.database.sqlite.prepare('SELECT public_id FROM photos').pluck().get() as string;
    const url = `${app.url.replace('localhost', '127.0.0.1')}/images/${publicId}/thumb.jpg`;
    // Made once before measuring (the photo's own processing may still be running).
    await fetch(url).then((response) => response.arrayBuffer());
    while ((app.database.sqlite.prepare("SELECT count(*) FROM photos WHERE status != 'READY'").pluck().get() as number) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    process.stderr.write('  heic: event-loop delay, idle\n');
    histogram.enable();
    const idle = await runWrk(url, seconds, {}, 16);
    histogram.disable();
    const idleP99 = histogram.percentile(99) / 1e6;
    histogram.reset();

    const heic = await readFile(IPHONE);
    const batch = path.join(workDir, 'batch');
    await mkdir(batch, { recursive: true });
    const copies = 6;
    for (let index = 0; index < copies; index++) await writeFile(path.join(batch, `copy-${index}.heic`), copyOf(heic, index));
    {
      const { layout, database } = await openStore(loadConfig(base), { create: true });
      await importFolder({ db: database.db, layout }, batch, { album: 'batch', visibility: 'PUBLIC' });
      database.close();
    }
    process.stderr.write(`  heic: event-loop delay while ${copies} new 12 MP HEICs are processed\n`);
    histogram.enable();
    const busy = await runWrk(url, seconds, {}, 16);
    histogram.disable();
    const processed = app.database.sqlite.prepare("SELECT count(*) FROM photos WHERE status = 'READY'").pluck().get() as number;
    return {
      idle: idleP99,
      busy: histogram.percentile(99) / 1e6,
      photos: processed - 1,
      idleRps: idle.requestsPerSecond,
      busyRps: busy.requestsPerSecond,
    };
  } finally {
    await app.close();
  }
}

export async function benchHeic(options: HeicBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-heic-'));
  try {
    const thumbs = await thumbnailsPerSecond(workDir, options.seconds);
    const delay = await eventLoopDelay(workDir, options.seconds);
    const { width, height } = await sharp(path.join(workDir, 'iphone.jpg')).metadata();
    return [
      `| first thumbnail of a new ${width}×${height} photo, one job per core | thumbnails/s | HEIC × |`,
      '|---|--:|--:|',
      `| from the JPEG | ${formatNumber(thumbs.jpeg, 2)} | |`,
      `| from the HEIC (decode on a worker thread, full-size JPEG, thumbnail) | ${formatNumber(thumbs.heic, 2)} | ${formatNumber(thumbs.heic / thumbs.jpeg, 2)}× |`,
      '',
      '| the server serving a thumbnail (wrk, 16 connections) | event-loop delay p99 | req/s |',
      '|---|--:|--:|',
      `| idle | ${formatNumber(delay.idle, 1)} ms | ${formatNumber(delay.idleRps, 0)} |`,
      `| while its worker processes 12 MP HEICs (${delay.photos} done in the ${options.seconds} s) | ${formatNumber(delay.busy, 1)} ms | ${formatNumber(delay.busyRps, 0)} |`,
    ].join('\n');
  } finally {
    await heifDecoders.close();
    await rm(workDir, { recursive: true, force: true });
  }
}
