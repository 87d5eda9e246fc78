import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../src/db/client.ts';
import { StorageLayout } from '../src/storage/layout.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, LIGHTBOX_BIN, REPO_ROOT, runCli } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { photoStatuses, storedPhoto } from './helpers/photos.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';
import { untilEvent } from './helpers/wait.ts';

const ProcessedPhotos = graphql(`
  query ProcessedPhotos {
    photos(first: 100, orderBy: TITLE_ASC) {
      nodes {
        id
        title
        status
        failureReason
        width
        height
        placeholder {
          hash
          dominantColor
        }
      }
    }
  }
`);

/** Mean absolute difference per channel, 0..255, of two images scaled to the same size. */
async function pixelDifference(a: Buffer, b: Buffer): Promise<number> {
  const load = (input: Buffer) => sharp(input).resize(64, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [left, right] = await Promise.all([load(a), load(b)]);
  let sum = 0;
  for (let i = 0; i < left.length; i++) sum += Math.abs((left[i] ?? 0) - (right[i] ?? 0));
  return sum / left.length;
}

interface SpawnedWorker {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves once `condition` holds, asked at once and after each line the worker logs (it logs each job it starts and ends). */
  afterLogLines(condition: () => boolean, what: string, timeoutMs: number): Promise<void>;
}

function spawnWorker(dataDir: string, env: Record<string, string> = {}): SpawnedWorker {
  const child = spawn(process.execPath, [LIGHTBOX_BIN, 'worker'], {
    cwd: REPO_ROOT,
    // At debug, a worker logs each job it starts ('processing a photo') as well as each it ends.
    env: { ...process.env, LIGHTBOX_DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = new EventEmitter();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    if (chunk.includes('\n')) lines.emit('line');
  });
  return {
    child,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    afterLogLines: (condition, what, timeoutMs) => untilEvent(lines, 'line', condition, what, timeoutMs),
  };
}

describe('processing with the in-process worker', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ LIGHTBOX_WORKERS: '2' });
    const result = await runCli(['import', path.join(FIXTURE_PHOTOS, 'orientation')], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(result.code, 0);
    await server.afterJobs(() => photoStatuses(server.dataDir).READY === 18, '18 READY photos', 120_000);
  });

  after(() => server.close());

  it('every photo ends READY with a ThumbHash placeholder and a dominant colour', async () => {
    const photos = dataOf(await postGraphQL(server.url, ProcessedPhotos, {}, server.admin)).photos.nodes;
    assert.equal(photos.length, 18);
    for (const photo of photos) {
      assert.equal(photo.status, 'READY', photo.title);
      assert.equal(photo.failureReason, null);
      assert.ok(photo.placeholder, `${photo.title} has a placeholder`);
      assert.ok(Buffer.from(photo.placeholder.hash, 'base64').length >= 5);
      assert.match(photo.placeholder.dominantColor ?? '', /^#[0-9a-f]{6}$/);
    }
  });

  it('writes the eager renditions: thumb and medium, WebP and JPEG', async () => {
    const photo = storedPhoto(server.dataDir, 'Landscape_6.jpg');
    const dir = new StorageLayout(server.dataDir).derivedDirFor(photo.publicId);
    assert.deepEqual((await readdir(dir)).sort(), ['medium.v1.jpg', 'medium.v1.webp', 'thumb.v1.jpg', 'thumb.v1.webp']);
    const medium = await sharp(path.join(dir, 'medium.v1.webp')).metadata();
    assert.deepEqual([medium.width, medium.height], [1280, 853]);
    assert.equal(medium.exif, undefined, 'no metadata in renditions');
  });

  it('renders all nine orientations upright and alike', async () => {
    for (const shape of ['Landscape', 'Portrait']) {
      const thumbs: Buffer[] = [];
      for (let n = 0; n <= 8; n++) {
        const photo = storedPhoto(server.dataDir, `${shape}_${n}.jpg`);
        const dir = new StorageLayout(server.dataDir).derivedDirFor(photo.publicId);
        const medium = await sharp(path.join(dir, 'medium.v1.jpg')).metadata();
        assert.deepEqual([medium.width, medium.height], shape === 'Landscape' ? [1280, 853] : [853, 1280], `${shape}_${n}`);
        thumbs.push(await sharp(path.join(dir, 'medium.v1.jpg')).toBuffer());
      }
      const reference = thumbs[1] as Buffer;
      for (const [n, thumb] of thumbs.entries()) {
        const difference = await pixelDifference(reference, thumb);
        assert.ok(difference < 6, `${shape}_${n} differs from ${shape}_1 by ${difference.toFixed(2)} per channel`);
      }
    }
  });

  it('a photo whose original cannot be processed ends FAILED with the reason, and the server keeps serving', async () => {
    const dataDir = await makeTempDir();
    assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--init'], { LIGHTBOX_DATA_DIR: dataDir })).code, 0);
    // Lost before any worker saw it: every attempt fails the same way.
    await rm(storedPhoto(dataDir, 'DSCN0021.jpg').file, { force: true });
    const failing = await startTestServer({
      LIGHTBOX_DATA_DIR: dataDir,
      LIGHTBOX_WORKERS: '1',
      LIGHTBOX_JOB_ATTEMPTS: '2',
      LIGHTBOX_JOB_RETRY_SECONDS: '0',
    });
    try {
      await failing.afterJobs(
        () => photoStatuses(dataDir).FAILED === 1 && photoStatuses(dataDir).READY === 2,
        'one FAILED photo, two READY',
        60_000,
      );
      const photos = dataOf(await postGraphQL(failing.url, ProcessedPhotos, {}, failing.admin)).photos.nodes;
      const failed = photos.find((photo) => photo.title === 'DSCN0021');
      assert.equal(failed?.status, 'FAILED');
      assert.match(failed?.failureReason ?? '', /missing|no such file|ENOENT|Input file/i);
      const health = await fetch(`${failing.url}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await failing.close();
    }
  });
});

describe('lightbox worker as its own process', () => {
  it('processes what the server queued, and stops cleanly on SIGTERM', async () => {
    const dataDir = await makeTempDir();
    assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--init'], { LIGHTBOX_DATA_DIR: dataDir })).code, 0);
    assert.equal(photoStatuses(dataDir).PENDING, 3);
    const worker = spawnWorker(dataDir);
    await worker.afterLogLines(() => photoStatuses(dataDir).READY === 3, '3 READY photos', 60_000);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
  });

  it('kill -9 mid-job loses nothing: another worker finishes the job, with no half-written file and no duplicate rows', async () => {
    const dataDir = await makeTempDir();
    const source = await makeTempDir('lightbox-big-src-');
    for (let i = 0; i < 4; i++) {
      // Large enough that processing takes a while: 24 megapixels of noise.
      await sharp({
        create: { width: 6000, height: 4000, channels: 3, background: '#336699', noise: { type: 'gaussian', mean: 100, sigma: 40 } },
      })
        .jpeg({ quality: 95 })
        .toFile(path.join(source, `big-${i}.jpg`));
    }
    assert.equal((await runCli(['import', source, '--init'], { LIGHTBOX_DATA_DIR: dataDir })).code, 0);
    const env = { LIGHTBOX_JOB_LEASE_SECONDS: '2', LIGHTBOX_WORKERS: '1' };
    const first = spawnWorker(dataDir, env);
    await first.afterLogLines(() => (photoStatuses(dataDir).PROCESSING ?? 0) >= 1, 'a job in progress', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = spawnWorker(dataDir, env);
    await second.afterLogLines(() => photoStatuses(dataDir).READY === 4, '4 READY photos', 120_000);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const handle = openDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true });
    const photoRows = (handle.sqlite.prepare('SELECT count(*) AS n FROM photos').get() as { n: number }).n;
    const jobStates = handle.sqlite.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all();
    handle.close();
    assert.equal(photoRows, 4, 'no duplicate rows');
    assert.deepEqual(jobStates, [{ state: 'DONE', n: 4 }]);
    const tmp = path.join(dataDir, 'tmp');
    const leftovers = existsSync(tmp) ? await readdir(tmp) : [];
    // The killed worker may leave a temp file (swept at the next server start); never a half file in place.
    for (const name of leftovers) assert.doesNotMatch(name, /\.(webp|jpg)$/);
    const derived = await readdir(path.join(dataDir, 'derived'), { recursive: true, withFileTypes: true });
    for (const entry of derived.filter((e) => e.isFile())) {
      const file = path.join(entry.parentPath, entry.name);
      const metadata = await sharp(file).metadata();
      assert.ok((metadata.width ?? 0) > 0, `${file} is a whole image`);
      await sharp(file).raw().toBuffer();
    }
  });
});
