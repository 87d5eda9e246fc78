import assert from 'node:assert/strict';
import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MAX_INPUT_PIXELS } from '../src/media/limits.ts';
import { renderRendition } from '../src/media/render-queue.ts';
import { PhotoSource } from '../src/media/source.ts';
import { DERIVED_VARIANTS, type DerivedVariant, EAGER_RENDITIONS, IMAGE_FORMATS, variantDimensions } from '../src/media/variants.ts';
import { ingestFile } from '../src/processing/ingest.ts';
import { processPhoto } from '../src/processing/process-photo.ts';
import { openStore, type Store } from '../src/storage/open-store.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';

const LIMITS = { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 };
const VARIANTS = Object.keys(DERIVED_VARIANTS) as DerivedVariant[];
/** The sRGB colour painted into the generated inputs, to check colour handling against. */
const ORANGE = { r: 230, g: 120, b: 30 };

interface Pixels {
  width: number;
  height: number;
  data: Buffer;
}

async function pixelsOf(file: string): Promise<Pixels> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

function pixelAt(image: Pixels, x: number, y: number): { r: number; g: number; b: number; a: number } {
  const offset = (y * image.width + x) * 4;
  return { r: image.data[offset] ?? 0, g: image.data[offset + 1] ?? 0, b: image.data[offset + 2] ?? 0, a: image.data[offset + 3] ?? 0 };
}

/** Mean absolute difference per channel, 0..255, alpha premultiplied so hidden colour under transparency does not count. */
function meanDifference(a: Pixels, b: Pixels): number {
  let total = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const alphaA = (a.data[i + 3] ?? 0) / 255;
    const alphaB = (b.data[i + 3] ?? 0) / 255;
    for (let c = 0; c < 3; c++) total += Math.abs((a.data[i + c] ?? 0) * alphaA - (b.data[i + c] ?? 0) * alphaB);
    total += Math.abs((a.data[i + 3] ?? 0) - (b.data[i + 3] ?? 0));
  }
  return total / a.data.length;
}

/** Left half opaque orange, right half fully transparent (with black behind it, as many editors leave it). */
async function transparentPng(file: string): Promise<void> {
  const width = 1600;
  const height = 1000;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width / 2; x++) data.set([ORANGE.r, ORANGE.g, ORANGE.b, 255], (y * width + x) * 4);
  }
  await sharp(data, { raw: { width, height, channels: 4 } })
    .png()
    .toFile(file);
}

async function cmykJpeg(file: string): Promise<void> {
  await sharp({ create: { width: 1500, height: 1000, channels: 3, background: ORANGE } })
    .toColourspace('cmyk')
    .jpeg({ quality: 95 })
    .toFile(file);
}

async function sixteenBitPng(file: string): Promise<void> {
  await sharp({ create: { width: 1400, height: 900, channels: 3, background: ORANGE } })
    .toColourspace('rgb16')
    .png()
    .toFile(file);
}

interface Input {
  name: string;
  file: string;
  /** Painted orange where this is true (x, y as fractions of the displayed size). */
  orangeAt?: [number, number];
  /** Fully transparent where this is true. */
  transparentAt?: [number, number];
}

describe('media: one pipeline, whoever renders', () => {
  let store: Store;
  let dir: string;
  const inputs: Input[] = [];

  before(async () => {
    dir = await makeTempDir();
    store = await openStore({ dataDir: path.join(dir, 'data') }, { create: true });
    const png = path.join(dir, 'transparent.png');
    await transparentPng(png);
    const cmyk = path.join(dir, 'cmyk.jpg');
    await cmykJpeg(cmyk);
    const deep = path.join(dir, 'sixteen-bit.png');
    await sixteenBitPng(deep);
    const oriented = path.join(dir, 'Landscape_6.jpg');
    await copyFile(path.join(FIXTURE_PHOTOS, 'orientation', 'Landscape_6.jpg'), oriented);
    inputs.push(
      { name: 'transparent PNG', file: png, orangeAt: [0.1, 0.5], transparentAt: [0.95, 0.5] },
      { name: 'CMYK JPEG', file: cmyk, orangeAt: [0.5, 0.5] },
      { name: '16-bit PNG', file: deep, orangeAt: [0.5, 0.5] },
      { name: 'oriented JPEG (EXIF 6)', file: oriented },
    );
  });

  after(() => store.database.close());

  it('the worker and the on-demand renderer make the same pixels for every variant and format', async () => {
    for (const input of inputs) {
      const outcome = await ingestFile({ db: store.database.db, layout: store.layout }, input.file);
      assert.equal(outcome.kind, 'imported', `${input.name}: ${JSON.stringify(outcome)}`);
      if (outcome.kind !== 'imported') continue;
      await processPhoto({ db: store.database.db, layout: store.layout, limits: LIMITS }, outcome.photoId);
      const photo = store.database.sqlite
        .prepare<[number], { public_id: string; content_hash: string; original_extension: string; width: number; height: number }>(
          'SELECT public_id, content_hash, original_extension, width, height FROM photos WHERE id = ?',
        )
        .get(outcome.photoId);
      assert.ok(photo);
      const original = store.layout.originalPath(photo.content_hash, photo.original_extension);
      const display = { width: photo.width, height: photo.height };
      // What a worker makes when every variant is eager: one decode for all.
      const decodedOnce = await PhotoSource.decode({ path: original, quarterTurns: 0 }, display, VARIANTS, LIMITS);

      for (const variant of VARIANTS) {
        for (const format of IMAGE_FORMATS) {
          const label = `${input.name} ${variant}.${format}`;
          const eager = EAGER_RENDITIONS.some(([v, f]) => v === variant && f === format);
          const byWorker = eager
            ? store.layout.derivedPath(photo.public_id, variant, 1, format)
            : path.join(dir, `${photo.public_id}-once-${variant}.${format}`);
          if (!eager) await decodedOnce.write(variant, format, byWorker, store.files);
          const onDemand = path.join(dir, `${photo.public_id}-demand-${variant}.${format}`);
          await renderRendition(
            { source: original, quarterTurns: 0, destination: onDemand, variant, format, ...display },
            { ...LIMITS, files: store.files },
          );
          assert.ok((await stat(byWorker)).size > 0, `${label}: the worker's file exists`);

          const a = await pixelsOf(byWorker);
          const b = await pixelsOf(onDemand);
          const expected = variantDimensions(variant, display.width, display.height);
          assert.deepEqual({ width: a.width, height: a.height }, expected, `${label}: worker size`);
          assert.deepEqual({ width: b.width, height: b.height }, expected, `${label}: on-demand size`);
          // Same pipeline, different decode sizes (one decode for all vs a small one on demand), through lossy
          // encoders: real photos differ by up to ~2 of 255. A wrong matte or dropped alpha differs by ~60.
          const difference = meanDifference(a, b);
          assert.ok(difference < 4, `${label}: mean difference ${difference.toFixed(2)} of 255`);

          for (const image of [a, b]) {
            if (input.transparentAt !== undefined && DERIVED_VARIANTS[variant].fit === 'inside') {
              const [fx, fy] = input.transparentAt;
              const behind = pixelAt(image, Math.floor(fx * image.width), Math.floor(fy * image.height));
              if (format === 'jpg') assert.ok(behind.r > 245 && behind.g > 245 && behind.b > 245, `${label}: white behind transparency`);
              else assert.ok(behind.a < 10, `${label}: transparency kept (alpha ${behind.a})`);
            }
            if (input.orangeAt !== undefined) {
              const [fx, fy] = input.orangeAt;
              const colour = pixelAt(image, Math.floor(fx * image.width), Math.floor(fy * image.height));
              const off = Math.max(Math.abs(colour.r - ORANGE.r), Math.abs(colour.g - ORANGE.g), Math.abs(colour.b - ORANGE.b));
              assert.ok(off < 30, `${label}: sRGB orange kept, got ${JSON.stringify(colour)}`);
            }
          }
        }
      }
    }
  });

  it('every rendition is 8-bit sRGB without metadata', async () => {
    const source = inputs.find((input) => input.name === '16-bit PNG');
    assert.ok(source);
    for (const format of IMAGE_FORMATS) {
      const out = path.join(dir, `deep-check.${format}`);
      await renderRendition(
        { source: source.file, quarterTurns: 0, destination: out, variant: 'small', format, width: 1400, height: 900 },
        { ...LIMITS, files: store.files },
      );
      const metadata = await sharp(out).metadata();
      assert.equal(metadata.depth, 'uchar', format);
      assert.equal(metadata.exif, undefined, format);
      assert.equal(metadata.icc, undefined, format);
    }
  });
});
