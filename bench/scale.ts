// The scale section of `npm run bench`: every kind of GraphQL read at several library sizes, in one
// run, uncached (LIGHTBOX_READ_CACHE=false: what the first request after any commit pays), with
// the ratio of the largest size to the smallest, and the same reads with the read cache on while
// another process commits once a second.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { formatNumber } from './lib/format.ts';
import { median } from './lib/median.ts';
import { copyScaleLibrary, SCALE_MAKES, seedScaleLibrary } from './lib/scale-library.ts';
import { type BenchServer, startServer } from './lib/server-process.ts';
import { runWrk } from './lib/wrk.ts';
import { benchImportAtScale } from './scale-import.ts';

const WRITER = fileURLToPath(new URL('./scale-writer.ts', import.meta.url));

export interface ScaleBenchOptions {
  /** Library sizes, smallest first: the ratio column is the largest over the smallest. */
  sizes: number[];
  /** Requests per case and size, in each round. */
  requests: number;
  rounds: number;
  /** Seconds of wrk per cell of the one-write-a-second table. */
  seconds: number;
  connections: number;
  /** New photos imported per round into each library (bench/scale-import.ts). */
  importPhotos: number;
  /** Another checkout to measure instead of this one (its bench/servers/lightbox.ts). */
  root?: string;
}

interface Ids {
  albumId: string;
  photoId: string;
  shareToken: string;
  deepCursor: string;
  albumCursor: string;
}

type Who = 'anonymous' | 'admin' | 'share';

interface ScaleCase {
  label: string;
  who: Who;
  query: (ids: Ids) => string;
}

const PHOTO_FIELDS = 'id title width height placeholder { hash dominantColor } image(variant: THUMB) { url }';
const YEAR_START = '2020-01-01T00:00:00Z';
const YEAR_END = '2021-01-01T00:00:00Z';

export const SCALE_CASES: ScaleCase[] = [
  { label: 'photos(first: 50) + totalCount', who: 'anonymous', query: () => list('') },
  { label: 'photos(first: 50) + totalCount', who: 'admin', query: () => list('') },
  { label: 'photos(first: 50) + totalCount', who: 'share', query: () => list('') },
  { label: 'filter: { cameraMake } + totalCount', who: 'admin', query: () => list(`filter: { cameraMake: "${SCALE_MAKES[0]}" }`) },
  { label: 'filter: { cameraMake } + totalCount', who: 'anonymous', query: () => list(`filter: { cameraMake: "${SCALE_MAKES[0]}" }`) },
  {
    label: 'taken in one year + totalCount',
    who: 'admin',
    query: () => list(`filter: { takenAfter: "${YEAR_START}", takenBefore: "${YEAR_END}" }, orderBy: TAKEN_AT_DESC`),
  },
  {
    label: 'taken in one year + totalCount',
    who: 'anonymous',
    query: () => list(`filter: { takenAfter: "${YEAR_START}", takenBefore: "${YEAR_END}" }, orderBy: TAKEN_AT_DESC`),
  },
  { label: 'orderBy: TAKEN_AT_DESC', who: 'admin', query: () => list('orderBy: TAKEN_AT_DESC') },
  { label: 'orderBy: TAKEN_AT_DESC', who: 'anonymous', query: () => list('orderBy: TAKEN_AT_DESC') },
  { label: 'orderBy: TITLE_ASC', who: 'anonymous', query: () => list('orderBy: TITLE_ASC') },
  { label: 'filter: { favorite: true } + totalCount', who: 'admin', query: () => list('filter: { favorite: true }') },
  { label: 'filter: { minRating: 4 } + totalCount', who: 'admin', query: () => list('filter: { minRating: 4 }') },
  { label: 'filter: { text: "lisbon tram" } + totalCount', who: 'admin', query: () => list('filter: { text: "lisbon tram" }') },
  { label: 'filter: { text: "lisb" } + totalCount', who: 'anonymous', query: () => list('filter: { text: "lisb" }') },
  { label: 'filter: { text: "zurich" } (a place) + totalCount', who: 'admin', query: () => list('filter: { text: "zurich" }') },
  { label: 'filter: { keyword: "harbour" } + totalCount', who: 'admin', query: () => list('filter: { keyword: "harbour" }') },
  {
    label: 'photoClusters(world, zoom: 2)',
    who: 'admin',
    query: () => 'query { photoClusters(bbox: { west: -180, south: -90, east: 180, north: 90 }, zoom: 2) { count latitude longitude } }',
  },
  {
    label: 'photoClusters(Europe, zoom: 6)',
    who: 'admin',
    query: () => 'query { photoClusters(bbox: { west: -10, south: 35, east: 30, north: 60 }, zoom: 6) { count latitude longitude } }',
  },
  { label: 'filter: { status: [FAILED] } + totalCount', who: 'admin', query: () => list('filter: { status: [FAILED] }') },
  { label: 'filter: { albumId } + totalCount', who: 'anonymous', query: (ids) => list(`filter: { albumId: "${ids.albumId}" }`) },
  {
    label: 'deep page (cursor mid-library)',
    who: 'anonymous',
    query: (ids) => list(`orderBy: TAKEN_AT_DESC, after: "${ids.deepCursor}"`),
  },
  {
    label: 'album page after #500',
    who: 'anonymous',
    query: (ids) =>
      `query { album(id: "${ids.albumId}") { photoCount photos(first: 12, after: "${ids.albumCursor}") { nodes { ${PHOTO_FIELDS} } } } }`,
  },
  {
    label: 'node(id)',
    who: 'anonymous',
    query: (ids) => `query { node(id: "${ids.photoId}") { ... on Photo { ${PHOTO_FIELDS} } } }`,
  },
  { label: 'timeline(MONTH)', who: 'admin', query: () => 'query { timeline(bucket: MONTH) { start end count } }' },
  { label: 'timeline(MONTH)', who: 'anonymous', query: () => 'query { timeline(bucket: MONTH) { start end count } }' },
  { label: 'timeline(DAY)', who: 'anonymous', query: () => 'query { timeline(bucket: DAY) { start end count } }' },
  {
    label: 'timeline(MONTH, filter: { cameraMake })',
    who: 'admin',
    query: () => `query { timeline(bucket: MONTH, filter: { cameraMake: "${SCALE_MAKES[0]}" }) { start count } }`,
  },
  {
    label: 'albums(first: 20) + totalCount',
    who: 'anonymous',
    query: () => `query { albums(first: 20) { totalCount nodes { id title photoCount cover { id } } } }`,
  },
  {
    label: 'gallery page (20 albums × 12)',
    who: 'anonymous',
    query: () => `query { albums(first: 20) { totalCount nodes { id title photoCount cover { id image(variant: THUMB) { url } }
      photos(first: 12) { nodes { ${PHOTO_FIELDS} } } } } }`,
  },
];

function list(args: string): string {
  return `query { photos(first: 50${args === '' ? '' : `, ${args}`}) { totalCount pageInfo { endCursor } nodes { ${PHOTO_FIELDS} } } }`;
}

interface Library {
  size: number;
  dataDir: string;
  server: BenchServer;
  url: string;
  ids: Ids;
}

async function graphql(url: string, query: string, headers: Record<string, string>, variables: Record<string, unknown> = {}) {
  const answer = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await answer.body.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors !== undefined) throw new Error(`${query.slice(0, 80)}…: ${JSON.stringify(body.errors).slice(0, 300)}`);
  // biome-ignore lint/suspicious/noExplicitAny: the bench reads a few known fields of answers it checked for errors
  return { data: body.data as Record<string, any>, serverTiming: String(answer.headers['server-timing'] ?? '') };
}

/** The ids and cursors the cases need, read through the API as a client would find them. */
async function idsOf(url: string, admin: Record<string, string>): Promise<Ids> {
  const albums = await graphql(url, '{ albums(first: 100, orderBy: CREATED_AT_ASC) { nodes { id visibility photoCount } } }', {});
  const album = (albums.data.albums.nodes as { id: string; visibility: string; photoCount: number }[]).find((a) => a.photoCount > 500);
  if (album === undefined) throw new Error('the scale library has no public album of more than 500 photos');
  let albumCursor = '';
  for (let seen = 0; seen < 500; seen += 100) {
    const page = await graphql(
      url,
      `query($after: String) { album(id: "${album.id}") { photos(first: 100, after: $after) { pageInfo { endCursor } } } }`,
      {},
      seen === 0 ? {} : { after: albumCursor },
    );
    albumCursor = page.data.album.photos.pageInfo.endCursor;
  }
  const middle = await graphql(
    url,
    `{ photos(first: 1, orderBy: TAKEN_AT_DESC, filter: { takenBefore: "2018-01-01T00:00:00Z" }) { pageInfo { endCursor } nodes { id } } }`,
    {},
  );
  const privateAlbum = (
    await graphql(url, '{ albums(first: 100, orderBy: CREATED_AT_ASC) { nodes { id visibility } } }', admin)
  ).data.albums.nodes.find((a: { visibility: string }) => a.visibility === 'PRIVATE');
  const link = await graphql(
    url,
    `mutation { createShareLink(input: { albumId: "${privateAlbum.id}" }) { ... on ShareLinkPayload { shareLink { url } } } }`,
    admin,
  );
  return {
    albumId: album.id,
    photoId: middle.data.photos.nodes[0].id,
    deepCursor: middle.data.photos.pageInfo.endCursor,
    albumCursor,
    shareToken: String(link.data.createShareLink.shareLink.url).replace(/^\/s\//, ''),
  };
}

function headersFor(who: Who, ids: Ids, admin: Record<string, string>): Record<string, string> {
  if (who === 'admin') return admin;
  if (who === 'share') return { 'x-lightbox-share': ids.shareToken };
  return {};
}

function sqlMs(serverTiming: string): number {
  return Number(/sql;desc="\d+";dur=([\d.]+)/.exec(serverTiming)?.[1] ?? Number.NaN);
}

interface Timing {
  totalMs: number[];
  sqlMs: number[];
}

let nonce = 0;

async function timeCase(library: Library, scaleCase: ScaleCase, admin: Record<string, string>, requests: number, timing: Timing) {
  const query = scaleCase.query(library.ids);
  const headers = headersFor(scaleCase.who, library.ids, admin);
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const answer = await graphql(library.url, query, headers, { nonce: nonce++ });
    timing.totalMs.push(performance.now() - started);
    timing.sqlMs.push(sqlMs(answer.serverTiming));
  }
}

/** The anonymous list with the read cache on, alone and while another process commits once a second. */
async function underWrites(library: Library, options: ScaleBenchOptions, workDir: string): Promise<{ quiet: number; writing: number }> {
  const body = JSON.stringify({ query: list('') });
  const script = path.join(workDir, `post-${library.size}.lua`);
  await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
  // Unmeasured first: the first requests prepare statements and read cold pages.
  await runWrk(library.url, 1, {}, options.connections, script);
  const quiet = await runWrk(library.url, options.seconds, {}, options.connections, script);
  const writer = spawn(process.execPath, ['--import', 'tsx', WRITER, library.dataDir, String(options.seconds + 2)], { stdio: 'inherit' });
  try {
    const writing = await runWrk(library.url, options.seconds, {}, options.connections, script);
    return { quiet: quiet.requestsPerSecond, writing: writing.requestsPerSecond };
  } finally {
    writer.kill('SIGKILL');
  }
}

export async function benchScale(options: ScaleBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-scale-'));
  const libraries: Library[] = [];
  // Stopped once each: a stopped server's exit has already been seen.
  const running: BenchServer[] = [];
  try {
    const seedDir = path.join(workDir, 'seed');
    await seedScaleLibrary(seedDir);
    const adminToken = randomBytes(24).toString('base64url');
    const admin = { authorization: `Bearer ${adminToken}` };
    process.env.BENCH_ADMIN_TOKEN = adminToken;
    const built: { size: number; dataDir: string; buildMs: number }[] = [];
    for (const size of options.sizes) {
      const started = performance.now();
      const dataDir = path.join(workDir, `library-${size}`);
      copyScaleLibrary(seedDir, dataDir, size);
      built.push({ size, dataDir, buildMs: performance.now() - started });
    }
    process.env.LIGHTBOX_READ_CACHE = 'false';
    try {
      for (const { size, dataDir } of built) {
        const server = await startServer(`Lightbox ${size}`, 'lightbox.ts', [dataDir], options.root);
        running.push(server);
        const url = `http://127.0.0.1:${server.port}/graphql`;
        libraries.push({ size, dataDir, server, url, ids: await idsOf(url, admin) });
      }
    } finally {
      delete process.env.LIGHTBOX_READ_CACHE;
    }
    const timings = new Map<string, Timing>();
    for (let round = 0; round < options.rounds; round++) {
      for (const [index, scaleCase] of SCALE_CASES.entries()) {
        for (const library of libraries) {
          const key = `${index}/${library.size}`;
          const timing = timings.get(key) ?? { totalMs: [], sqlMs: [] };
          timings.set(key, timing);
          await timeCase(library, scaleCase, admin, options.requests, timing);
        }
      }
    }
    const smallest = libraries[0] as Library;
    const largest = libraries[libraries.length - 1] as Library;
    const header = `| read (uncached) | who | ${libraries.map((l) => `${formatNumber(l.size)}: ms (SQL ms)`).join(' | ')} | ${formatNumber(largest.size)} / ${formatNumber(smallest.size)} |`;
    const rows = SCALE_CASES.map((scaleCase, index) => {
      const cells = libraries.map((library) => {
        const timing = timings.get(`${index}/${library.size}`) as Timing;
        return `${median(timing.totalMs).toFixed(2)} (${median(timing.sqlMs).toFixed(2)})`;
      });
      const ratio =
        median((timings.get(`${index}/${largest.size}`) as Timing).totalMs) /
        median((timings.get(`${index}/${smallest.size}`) as Timing).totalMs);
      return `| ${scaleCase.label} | ${scaleCase.who} | ${cells.join(' | ')} | ${ratio.toFixed(2)}× |`;
    });
    for (const server of running.splice(0)) await server.stop();
    // Shown as soon as it is measured: the sections after it take minutes.
    process.stderr.write(`${header}\n${rows.join('\n')}\n`);
    const writeRows: string[] = [];
    for (const { size, dataDir } of built) {
      const server = await startServer(`Lightbox ${size}, read cache on`, 'lightbox.ts', [dataDir], options.root);
      running.push(server);
      const library = { size, dataDir, server, url: `http://127.0.0.1:${server.port}/graphql`, ids: smallest.ids };
      const { quiet, writing } = await underWrites(library, options, workDir);
      writeRows.push(
        `| ${formatNumber(size)} | ${formatNumber(Math.round(quiet))} | ${formatNumber(Math.round(writing))} | ${(writing / quiet).toFixed(2)}× |`,
      );
      await running.splice(0)[0]?.stop();
    }
    process.stderr.write('Scale: importing into an empty library and a big one\n');
    const importTable = await benchImportAtScale({
      size: largest.size,
      photos: options.importPhotos,
      rounds: options.rounds,
      seconds: options.seconds,
      connections: options.connections,
      seedDir,
    });
    return `Libraries built by \`bench/lib/scale-library.ts\` from the camera fixtures (${built
      .map((b) => `${formatNumber(b.size)} photos in ${(b.buildMs / 1000).toFixed(1)} s`)
      .join(', ')}); one server per size, \`LIGHTBOX_READ_CACHE=false\`, every request a new variable so no stored
answer serves it; ${options.requests} sequential requests per cell per round, ${options.rounds} rounds with sizes
alternating; median of all. "ms" is the client's round trip over loopback, "SQL ms" the server's
own Server-Timing for its statements.

${header}
|---|---|${libraries.map(() => '--:|').join('')}--:|
${rows.join('\n')}

The anonymous \`photos(first: 50)\` with the read cache on (the default), wrk ${options.connections} connections,
${options.seconds} s per cell: alone, and while another process commits a photo title once a second.

| library | req/s alone | req/s, one commit a second | ratio |
|--:|--:|--:|--:|
${writeRows.join('\n')}

${importTable}`;
  } finally {
    for (const server of running) await server.stop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}
