import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { MAX_INPUT_PIXELS } from '../src/media/limits.ts';
import { renderRendition } from '../src/media/render-queue.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { processPhoto } from '../src/processing/process-photo.ts';
import { filesThrough } from '../src/storage/file-store.ts';
import { openStore } from '../src/storage/open-store.ts';
import { formatNumber } from './lib/format.ts';

export interface ProcessingBenchOptions {
  seconds: number;
}

const PHOTOS = 4;

/** 12-megapixel camera-like JPEGs: smooth gradients with noise, so encoders do real work. */
async function makeInputs(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < PHOTOS; i++) {
    const noise = await sharp({
      create: {
        width: 4000,
        height: 3000,
        channels: 3,
        background: { r: 40 + i * 20, g: 120, b: 200 - i * 15 },
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    })
      .blur(2)
      .jpeg({ quality: 90 })
      .toBuffer();
    const file = path.join(dir, `photo-${i}.jpg`);
    await writeFile(file, noise);
    files.push(file);
  }
  return files;
}

/** Work done per second by `concurrency` loops over `seconds`. */
export async function timed(seconds: number, concurrency: number, work: (index: number) => Promise<void>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await work(done++);
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const FIXTURES = fileURLToPath(new URL('../test/fixtures/photos/orientation', import.meta.url));

/**
 * The whole pipeline a worker runs per photo (one decode; thumb and medium in WebP and JPEG;
 * ThumbHash; dominant colour; EXIF; the row update) on the 18 real fixture photos, against a
 * bare sharp thumbnail loop on the same files.
 */
async function benchPipelineOnFixtures(workDir: string, seconds: number, concurrency: number): Promise<string> {
  const dataDir = path.join(workDir, 'pipeline-data');
  const { layout, database } = await openStore(loadConfig({ LIGHTBOX_DATA_DIR: dataDir }), { create: true });
  try {
    await importFolder({ db: database.db, layout }, FIXTURES, { album: 'bench', visibility: 'PUBLIC' });
    const ids = database.sqlite.prepare('SELECT id FROM photos ORDER BY id').pluck().all() as number[];
    const files = (await readdir(FIXTURES)).filter((name) => name.endsWith('.jpg')).map((name) => path.join(FIXTURES, name));
    const deps = { db: database.db, layout, limits: { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 } };
    let bare = 0;
    let bareSameWork = 0;
    let photosPerSecond = 0;
    for (const round of [0, 1]) {
      process.stderr.write(`  processing: whole pipeline on the fixtures, round ${round + 1}/2\n`);
      bare += await timed(seconds / 2, concurrency, async (index) => {
        await sharp(files[index % files.length] as string)
          .rotate()
          .resize(256, 256, { fit: 'cover' })
          .webp({ quality: 80, effort: 4 })
          .toBuffer();
      });
      bareSameWork += await timed(seconds / 2, concurrency, async (index) => {
        const input = sharp(files[index % files.length] as string).rotate();
        await Promise.all([
          input.clone().resize(1280, 1280, { fit: 'inside' }).webp({ quality: 80, effort: 4 }).toBuffer(),
          input.clone().resize(1280, 1280, { fit: 'inside' }).jpeg({ quality: 82, progressive: true }).toBuffer(),
          input.clone().resize(256, 256, { fit: 'cover' }).webp({ quality: 80, effort: 4 }).toBuffer(),
          input.clone().resize(256, 256, { fit: 'cover' }).jpeg({ quality: 82, progressive: true }).toBuffer(),
        ]);
      });
      photosPerSecond += await timed(seconds / 2, concurrency, (index) => processPhoto(deps, ids[index % ids.length] as number));
    }
    bare /= 2;
    bareSameWork /= 2;
    photosPerSecond /= 2;
    return [
      '| on the 18 fixture photos (1800×1200) | per second | |',
      '|---|--:|--:|',
      `| bare sharp thumbnail loop (to a buffer) | ${formatNumber(bare, 1)} thumbnails | |`,
      `| bare sharp loop making the same 4 renditions (to buffers) | ${formatNumber(bareSameWork, 1)} photos | |`,
      `| Lightbox pipeline (4 renditions, placeholder, colour, EXIF, row, to disk) | ${formatNumber(photosPerSecond, 1)} photos | ${formatNumber(photosPerSecond / bareSameWork, 2)}× of the same work |`,
    ].join('\n');
  } finally {
    database.close();
  }
}

/**
 * Thumbnails (256 px square WebP) per second from 12 MP JPEGs: Lightbox's renderer, which also
 * applies orientation, converts to sRGB, writes through a temp file with fsync and renames,
 * against a bare sharp loop to a buffer. Same inputs, same concurrency (one per core).
 */
export async function benchProcessing(options: ProcessingBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-proc-'));
  try {
    const inputs = await makeInputs(workDir);
    const out = path.join(workDir, 'out');
    const temp = path.join(workDir, 'tmp');
    await mkdir(out, { recursive: true });
    const concurrency = availableParallelism();
    const input = (index: number) => inputs[index % inputs.length] as string;
    const rows: [string, number][] = [];
    for (const round of [0, 1]) {
      process.stderr.write(`  processing: round ${round + 1}/2\n`);
      const bare = await timed(options.seconds / 2, concurrency, async (index) => {
        await sharp(input(index)).rotate().resize(256, 256, { fit: 'cover' }).webp({ quality: 80, effort: 4 }).toBuffer();
      });
      const ours = await timed(options.seconds / 2, concurrency, async (index) => {
        await renderRendition(
          {
            source: input(index),
            quarterTurns: 0,
            destination: path.join(out, `${index}.webp`),
            variant: 'thumb',
            format: 'webp',
            width: 4000,
            height: 3000,
          },
          { files: filesThrough(temp), maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 30 },
        );
      });
      rows.push(['bare sharp loop (to a buffer)', bare], ['Lightbox renderer (to disk, atomically)', ours]);
    }
    const mean = (label: string) => {
      const values = rows.filter(([name]) => name === label).map(([, value]) => value);
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    };
    const bare = mean('bare sharp loop (to a buffer)');
    const ours = mean('Lightbox renderer (to disk, atomically)');
    const fixtures = await benchPipelineOnFixtures(workDir, options.seconds, concurrency);
    return [
      '| pipeline | thumbnails/s | Lightbox × |',
      '|---|--:|--:|',
      `| bare sharp loop (to a buffer) | ${formatNumber(bare, 1)} | |`,
      `| Lightbox renderer (to disk, atomically) | ${formatNumber(ours, 1)} | ${formatNumber(ours / bare, 2)}× |`,
      '',
      fixtures,
    ].join('\n');
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
