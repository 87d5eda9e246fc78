// Album download: a ~1 GB album as one ZIP through a real Lightbox process, its resident memory
// sampled from /proc while idle and all through the download; the archive checked with `unzip -t`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { request } from 'undici';
import { buildBigAlbum } from './lib/big-album.ts';
import { formatNumber } from './lib/format.ts';
import { residentMegabytes, startServer } from './lib/server-process.ts';

const run = promisify(execFile);
const SAMPLE_MS = 20;
const MB = 1024 * 1024;

export interface AlbumZipOptions {
  /** Photos in the album, and the size of each (MB): 205 × 5 MB is 1,025 MB. */
  photos: number;
  photoMegabytes: number;
}

interface Sampler {
  stop(): number[];
}

function sampleResident(pid: number): Sampler {
  const samples: number[] = [residentMegabytes(pid)];
  const timer = setInterval(() => samples.push(residentMegabytes(pid)), SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      samples.push(residentMegabytes(pid));
      return samples;
    },
  };
}

export async function benchAlbumZip(options: AlbumZipOptions = { photos: 205, photoMegabytes: 5 }): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-zip-'));
  const adminToken = randomBytes(24).toString('base64url');
  process.env.BENCH_ADMIN_TOKEN = adminToken;
  const server = await startServer('Lightbox', 'lightbox.ts', [dataDir]);
  const archive = path.join(dataDir, 'downloaded.zip');
  try {
    await server.settled();
    const album = buildBigAlbum(dataDir, {
      photos: options.photos,
      files: 4,
      fileBytes: options.photoMegabytes * MB,
      title: 'Bench album',
    });
    const base = `http://127.0.0.1:${server.port}`;
    const asked = await request(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({
        query: 'query ($id: ID!) { album(id: $id) { photoCount download { url } } }',
        variables: { id: encodeGlobalID('Album', album.albumPublicId) },
      }),
    });
    const answer = (await asked.body.json()) as { data?: { album?: { download?: { url: string } } } };
    const url = answer.data?.album?.download?.url;
    if (url === undefined) throw new Error(`no download URL: ${JSON.stringify(answer)}`);
    // Idle: the server has answered GraphQL once, and sits.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleSamples = sampleResident(server.pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = Math.max(...idleSamples.stop());
    const cpuBefore = await server.cpuSeconds();
    const during = sampleResident(server.pid);
    const started = performance.now();
    const response = await request(`${base}${url}`);
    if (response.statusCode !== 200) throw new Error(`download answered ${response.statusCode}`);
    await pipeline(response.body, createWriteStream(archive));
    const seconds = (performance.now() - started) / 1000;
    const samples = during.stop();
    const cpu = (await server.cpuSeconds()) - cpuBefore;
    const peak = Math.max(...samples);
    const size = (await stat(archive)).size;
    const tested = await run('unzip', ['-tq', archive], { maxBuffer: 16 * MB }).then(
      (result) => (/No errors detected/.test(result.stdout) ? 'passes: no errors detected' : result.stdout.trim()),
      (error: { stdout?: string; message: string }) => `FAILED: ${error.stdout ?? error.message}`,
    );
    const rows = [
      '| album | archive | time | MB/s | server CPU-s | RSS idle | RSS peak | peak − idle | samples | `unzip -t` |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      `| ${options.photos} photos × ${options.photoMegabytes} MB, admin (untouched files) | ${formatNumber(size / MB)} MB | ${formatNumber(seconds, 1)} s | ${formatNumber(size / MB / seconds)} | ${formatNumber(cpu, 2)} | ${formatNumber(idle, 1)} MB | ${formatNumber(peak, 1)} MB | **${formatNumber(peak - idle, 1)} MB** | ${samples.length} | ${tested.replace(/\|/g, '/')} |`,
    ];
    return rows.join('\n');
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
