import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { MAX_INPUT_PIXELS } from '../src/media/limits.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { processPhoto } from '../src/processing/process-photo.ts';
import { openStore } from '../src/storage/open-store.ts';
import { formatNumber } from './lib/format.ts';
import { medianOfRatios } from './lib/median.ts';
import { type BenchServer, startServer } from './lib/server-process.ts';
import { runWrk } from './lib/wrk.ts';

const PHOTOS = fileURLToPath(new URL('../test/fixtures/photos/orientation', import.meta.url));

/** The page a gallery front end renders first: 20 albums, each with its cover and first 12 thumbnails. */
export const GALLERY_QUERY = `query Gallery {
  albums(first: 20) {
    totalCount
    nodes {
      id title photoCount
      cover { id image(variant: THUMB) { url } }
      photos(first: 12) { nodes { id width height placeholder { hash dominantColor } image(variant: THUMB) { url width height } } }
    }
  }
}`;

/** The admin's library page: a hundred photos with every field, as an admin screen lists them. */
export const LIBRARY_QUERY = `query Library {
  photos(first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id title description width height aspectRatio takenAt createdAt updatedAt status failureReason version
      contentHash mimeType byteSize
      camera { make model lens }
      exposure { exposureTime shutterSpeed fNumber iso focalLength }
      location { latitude longitude altitude }
      placeholder { hash dominantColor }
      image(variant: THUMB) { url width height }
      srcSet
      albums { id title }
    }
  }
}`;

const LIBRARY_PHOTOS = 100;

/** Distinct small JPEGs with camera EXIF, for a library of more than the fixtures' 18 photos. */
async function writeLibraryPhotos(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < LIBRARY_PHOTOS; i++) {
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 };
    await sharp({ create: { width: 960, height: 640, channels: 3, background } })
      .withExif({ IFD0: { Make: 'Bench', Model: `Camera ${i % 7}` } })
      .jpeg()
      .toFile(path.join(folder, `library-${String(i).padStart(3, '0')}.jpg`));
  }
}

/** A wrk script posting `query` with a variable it ignores, new on every request, so each misses the response cache. */
export async function uncachedPostScript(file: string, query: string, headers: Record<string, string> = {}): Promise<string> {
  const [bodyHead] = JSON.stringify({ query }).split(/}$/);
  const headerTable = Object.entries({ 'Content-Type': 'application/json', ...headers })
    .map(([name, value]) => `[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    .join(', ');
  await writeFile(
    file,
    [
      // Unique per wrk run too (a table's address and the clock): a count alone starts again at 1 in
      // every run, and would find the previous run's results still stored.
      'local run = tostring(os.time()) .. tostring({}):gsub("%W", "")',
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      `  return wrk.format("POST", nil, { ${headerTable} }, ${JSON.stringify(`${bodyHead},"variables":{"nonce":"`)} .. run .. n .. "\\"}}")`,
      'end',
      '',
    ].join('\n'),
  );
  return file;
}

export interface GraphQLBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  /** Other checkouts whose Lightbox is measured beside this one on every Lightbox row, rounds alternating (an A/B each). */
  against?: string[];
  /** Only the cases whose label contains this text. */
  only?: string;
}

function sqlStatements(header: unknown): number {
  return Number(/sql;desc="(\d+)"/.exec(String(header))?.[1] ?? Number.NaN);
}

/** The gallery query uncached (POST), served from the response cache (GET), and revalidated to 304. */
export async function benchGraphQL(options: GraphQLBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-gql-'));
  let server: BenchServer | undefined;
  let baseline: BenchServer | undefined;
  let coldServer: BenchServer | undefined;
  const againstServers: BenchServer[] = [];
  try {
    const dataDir = path.join(workDir, 'data');
    const { layout, database } = await openStore(loadConfig({ LIGHTBOX_DATA_DIR: dataDir }), { create: true });
    try {
      for (let i = 1; i <= 20; i++) await importFolder({ db: database.db, layout }, PHOTOS, { album: `Album ${i}`, visibility: 'PUBLIC' });
      // The library page lists more: a private album, so the anonymous gallery page stays the fixtures'.
      const library = path.join(workDir, 'library');
      await writeLibraryPhotos(library);
      await importFolder({ db: database.db, layout }, library, { album: 'Library', visibility: 'PRIVATE' });
      // Processed up front, so pages carry real placeholders and no worker writes during the measurement.
      const ids = database.sqlite.prepare('SELECT id FROM photos').pluck().all() as number[];
      const deps = { db: database.db, layout, limits: { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 } };
      for (const id of ids) await processPhoto(deps, id);
    } finally {
      database.close();
    }
    const adminToken = randomBytes(24).toString('base64url');
    process.env.BENCH_ADMIN_TOKEN = adminToken;
    // One server per data dir: the one that reads every row gets a copy, made before either starts.
    const coldDir = path.join(workDir, 'data-cold');
    await cp(dataDir, coldDir, { recursive: true });
    const againstDirs: string[] = [];
    for (const index of (options.against ?? []).keys()) {
      againstDirs.push(path.join(workDir, `data-against-${index}`));
      await cp(dataDir, againstDirs[index] as string, { recursive: true });
    }
    server = await startServer('Lightbox', 'lightbox.ts', [dataDir]);
    for (const [index, root] of (options.against ?? []).entries()) {
      againstServers.push(await startServer(`Lightbox at ${root}`, 'lightbox.ts', [againstDirs[index] as string], root));
    }
    process.env.LIGHTBOX_READ_CACHE = 'false';
    try {
      coldServer = await startServer('Lightbox, LIGHTBOX_READ_CACHE=false', 'lightbox.ts', [coldDir]);
    } finally {
      delete process.env.LIGHTBOX_READ_CACHE;
    }
    baseline = await startServer('hand-written baseline', 'gallery-baseline.ts', [dataDir]);
    const url = `http://127.0.0.1:${server.port}/graphql`;
    const baselineUrl = `http://127.0.0.1:${baseline.port}/graphql`;
    const coldUrl = `http://127.0.0.1:${coldServer.port}/graphql`;
    const admin = { Authorization: `Bearer ${adminToken}` };
    const body = JSON.stringify({ query: GALLERY_QUERY });
    const script = path.join(workDir, 'post.lua');
    await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
    // Anonymous POSTs are answered from the response cache too: a variable the query ignores, new on
    // every request, gives each its own cache key, so every one is executed (and stored, as a miss is).
    const uncachedScript = await uncachedPostScript(path.join(workDir, 'post-uncached.lua'), GALLERY_QUERY);
    const adminScript = await uncachedPostScript(path.join(workDir, 'post-admin.lua'), GALLERY_QUERY, admin);
    const libraryScript = await uncachedPostScript(path.join(workDir, 'post-library.lua'), LIBRARY_QUERY, admin);
    const getUrl = `${url}?query=${encodeURIComponent(GALLERY_QUERY)}`;

    const probe = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: GALLERY_QUERY, variables: { nonce: 0 } }),
    });
    const probeBody = (await probe.body.json()) as { data?: { albums: { nodes: unknown[] } }; errors?: unknown };
    if (probeBody.errors || probeBody.data?.albums.nodes.length !== 20)
      throw new Error(`gallery query failed: ${JSON.stringify(probeBody).slice(0, 300)}`);
    const statements = sqlStatements(probe.headers['server-timing']);
    const baselineAnswer = await request(baselineUrl, { method: 'POST', body: '{}' });
    if (JSON.stringify(await baselineAnswer.body.json()) !== JSON.stringify(probeBody))
      throw new Error('the hand-written baseline does not answer the page Lightbox answers');
    const statementsFor = async (query: string, headers: Record<string, string>) => {
      const answer = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      const json = (await answer.body.json()) as { errors?: unknown };
      if (json.errors) throw new Error(`query failed: ${JSON.stringify(json.errors).slice(0, 300)}`);
      return sqlStatements(answer.headers['server-timing']);
    };
    const postHit = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await postHit.body.dump();
    const postHitAgain = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await postHitAgain.body.dump();
    const first = await request(getUrl, { headers: { accept: 'application/json' } });
    await first.body.dump();
    const etag = String(first.headers.etag);
    const hit = await request(getUrl, { headers: { accept: 'application/json' } });
    await hit.body.dump();
    const revalidated = await request(getUrl, { headers: { accept: 'application/json', 'if-none-match': etag } });
    await revalidated.body.dump();
    if (revalidated.statusCode !== 304) throw new Error(`expected a 304 from the response cache, got ${revalidated.statusCode}`);

    const cases: {
      label: string;
      url: string;
      headers: Record<string, string>;
      script?: string;
      statements: number;
      server: BenchServer;
    }[] = [
      { label: 'uncached (POST)', url, headers: {}, script: uncachedScript, statements, server },
      {
        label: 'uncached (POST), every read from SQLite (LIGHTBOX_READ_CACHE=false)',
        url: coldUrl,
        headers: {},
        script: uncachedScript,
        statements,
        server: coldServer,
      },
      {
        label: 'hand-written baseline: 2 prepared statements + JSON.stringify, no GraphQL',
        url: baselineUrl,
        headers: {},
        script: uncachedScript,
        statements: 2,
        server: baseline,
      },
      {
        label: 'uncached (POST), admin',
        url,
        headers: {},
        script: adminScript,
        statements: await statementsFor(GALLERY_QUERY, admin),
        server,
      },
      {
        label: 'library page (POST, admin): photos(first: 100), every field',
        url,
        headers: {},
        script: libraryScript,
        statements: await statementsFor(LIBRARY_QUERY, admin),
        server,
      },
      {
        label: 'response cache hit (POST)',
        url,
        headers: {},
        script,
        statements: sqlStatements(postHitAgain.headers['server-timing']),
        server,
      },
      {
        label: 'response cache hit (GET, 200)',
        url: getUrl,
        headers: { Accept: 'application/json' },
        statements: sqlStatements(hit.headers['server-timing']),
        server,
      },
      {
        label: 'response cache 304 (GET, If-None-Match)',
        url: getUrl,
        headers: { Accept: 'application/json', 'If-None-Match': etag },
        statements: sqlStatements(revalidated.headers['server-timing']),
        server,
      },
    ];
    const lines = [
      `| case | req/s | p99 | req per server CPU-s | SQL statements |${againstServers.map((other) => ` × ${other.name.replace('Lightbox at ', '')} |`).join('')}`,
      `|---|--:|--:|--:|--:|${againstServers.map(() => '--:|').join('')}`,
    ];
    const perCpu = new Map<string, number>();
    for (const spec of cases) {
      if (options.only !== undefined && !spec.label.includes(options.only)) continue;
      // Each other checkout answers the same row on its own port (its 304 with its own entity tag).
      const own = server;
      const others =
        spec.server !== own
          ? []
          : againstServers.map((other) => ({
              server: other,
              url: spec.url.replace(`:${own.port}/`, `:${other.port}/`),
              headers: { ...spec.headers },
            }));
      for (const other of others) {
        if (spec.headers['If-None-Match'] === undefined) continue;
        const tagged = await request(other.url, { headers: { accept: 'application/json' } });
        await tagged.body.dump();
        other.headers['If-None-Match'] = String(tagged.headers.etag);
      }
      const runs = [{ server: spec.server, url: spec.url, headers: spec.headers }, ...others];
      const measured = runs.map(() => ({ requests: 0, seconds: 0, cpu: 0, p99: 0, errors: 0, perRound: [] as number[] }));
      for (const run of runs) await runWrk(run.url, 1, run.headers, options.connections, spec.script);
      for (let round = 0; round < options.rounds; round++) {
        process.stderr.write(`  gallery query, ${spec.label} (round ${round + 1}/${options.rounds})\n`);
        // Alternating which goes first, so drift on a shared machine favours neither.
        const order = round % 2 === 0 ? runs.map((_, index) => index) : runs.map((_, index) => runs.length - 1 - index);
        for (const index of order) {
          const run = runs[index] as (typeof runs)[number];
          const cell = measured[index] as (typeof measured)[number];
          const before = await run.server.cpuSeconds();
          const result = await runWrk(run.url, options.seconds, run.headers, options.connections, spec.script);
          const cpu = (await run.server.cpuSeconds()) - before;
          cell.cpu += cpu;
          cell.requests += result.requests;
          cell.seconds += result.seconds;
          cell.perRound.push(result.requests / cpu);
          cell.p99 = Math.max(cell.p99, result.p99Ms);
          cell.errors += result.non2xx3xx + result.socketErrors;
        }
      }
      const [ours, ...theirs] = measured as [(typeof measured)[number], ...(typeof measured)[number][]];
      const sql = Number.isNaN(spec.statements) ? 'n/a' : String(spec.statements);
      const versus = againstServers
        .map((_, index) => {
          const other = theirs[index];
          return ` ${other === undefined ? '' : `${formatNumber(medianOfRatios(ours.perRound, other.perRound), 2)}×`} |`;
        })
        .join('');
      lines.push(
        `| ${spec.label}${ours.errors ? ` (${ours.errors} errors)` : ''} | ${formatNumber(ours.requests / ours.seconds)} | ${formatNumber(ours.p99, 2)} ms | ${formatNumber(ours.requests / ours.cpu)} | ${sql} |${versus}`,
      );
      perCpu.set(spec.label, ours.requests / ours.cpu);
    }
    const ratio = (over: number) =>
      formatNumber((perCpu.get(cases[2]?.label ?? '') ?? Number.NaN) / (perCpu.get(cases[over]?.label ?? '') ?? Number.NaN), 2);
    lines.push(
      '',
      `The hand-written baseline (which remembers nothing) answers the uncached page ${ratio(1)}× as cheaply as Lightbox reading every row from SQLite, and ${ratio(0)}× as cheaply as Lightbox as it runs by default (same run).`,
    );
    return lines.join('\n');
  } finally {
    await server?.stop();
    await baseline?.stop();
    await coldServer?.stop();
    for (const other of againstServers) await other.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
