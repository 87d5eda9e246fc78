import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { renderDerivative } from '../src/images/render.ts';

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

async function timed(seconds: number, concurrency: number, work: (index: number) => Promise<void>): Promise<number> {
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

const format = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

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
        await renderDerivative(
          {
            source: input(index),
            destination: path.join(out, `${index}.webp`),
            variant: 'thumb',
            format: 'webp',
            width: 4000,
            height: 3000,
          },
          { tempDir: temp, maxPixels: 100_000_000, timeoutSeconds: 30 },
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
    return [
      '| pipeline | thumbnails/s | Lightbox × |',
      '|---|--:|--:|',
      `| bare sharp loop (to a buffer) | ${format(bare)} | |`,
      `| Lightbox renderer (to disk, atomically) | ${format(ours)} | ${format(ours / bare, 2)}× |`,
    ].join('\n');
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
