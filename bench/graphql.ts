import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadConfig } from '../src/config.ts';
import { MAX_INPUT_PIXELS } from '../src/media/limits.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { processPhoto } from '../src/processing/process-photo.ts';
import { openStore } from '../src/storage/open-store.ts';
import { formatNumber } from './lib/format.ts';
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

export interface GraphQLBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
}

function sqlStatements(header: unknown): number {
  return Number(/sql;desc="(\d+)"/.exec(String(header))?.[1] ?? Number.NaN);
}

/** The gallery query uncached (POST), served from the response cache (GET), and revalidated to 304. */
export async function benchGraphQL(options: GraphQLBenchOptions): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-gql-'));
  let server: BenchServer | undefined;
  try {
    const dataDir = path.join(workDir, 'data');
    const { layout, database } = await openStore(loadConfig({ LIGHTBOX_DATA_DIR: dataDir }));
    try {
      for (let i = 1; i <= 20; i++) await importFolder({ db: database.db, layout }, PHOTOS, { album: `Album ${i}`, visibility: 'PUBLIC' });
      // Processed up front, so pages carry real placeholders and no worker writes during the measurement.
      const ids = database.sqlite.prepare('SELECT id FROM photos').pluck().all() as number[];
      const deps = { db: database.db, layout, limits: { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 } };
      for (const id of ids) await processPhoto(deps, id);
    } finally {
      database.close();
    }
    server = await startServer('Lightbox', 'lightbox.ts', [dataDir]);
    const url = `http://127.0.0.1:${server.port}/graphql`;
    const body = JSON.stringify({ query: GALLERY_QUERY });
    const script = path.join(workDir, 'post.lua');
    await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
    // Anonymous POSTs are answered from the response cache too: a variable the query ignores, new on
    // every request, gives each its own cache key, so every one is executed (and stored, as a miss is).
    const uncachedScript = path.join(workDir, 'post-uncached.lua');
    const [bodyHead] = body.split(/}$/);
    await writeFile(
      uncachedScript,
      [
        'local n = 0',
        'request = function()',
        '  n = n + 1',
        `  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, ${JSON.stringify(`${bodyHead},"variables":{"nonce":`)} .. n .. "}}")`,
        'end',
        '',
      ].join('\n'),
    );
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

    const cases: { label: string; url: string; headers: Record<string, string>; script?: string; statements: number }[] = [
      { label: 'uncached (POST)', url, headers: {}, script: uncachedScript, statements },
      {
        label: 'response cache hit (POST)',
        url,
        headers: {},
        script,
        statements: sqlStatements(postHitAgain.headers['server-timing']),
      },
      {
        label: 'response cache hit (GET, 200)',
        url: getUrl,
        headers: { Accept: 'application/json' },
        statements: sqlStatements(hit.headers['server-timing']),
      },
      {
        label: 'response cache 304 (GET, If-None-Match)',
        url: getUrl,
        headers: { Accept: 'application/json', 'If-None-Match': etag },
        statements: sqlStatements(revalidated.headers['server-timing']),
      },
    ];
    const lines = ['| case | req/s | p99 | req per server CPU-s | SQL statements |', '|---|--:|--:|--:|--:|'];
    for (const spec of cases) {
      await runWrk(spec.url, 1, spec.headers, options.connections, spec.script);
      let requests = 0;
      let seconds = 0;
      let cpu = 0;
      let p99 = 0;
      let errors = 0;
      for (let round = 0; round < options.rounds; round++) {
        process.stderr.write(`  gallery query, ${spec.label} (round ${round + 1}/${options.rounds})\n`);
        const before = await server.cpuSeconds();
        const result = await runWrk(spec.url, options.seconds, spec.headers, options.connections, spec.script);
        cpu += (await server.cpuSeconds()) - before;
        requests += result.requests;
        seconds += result.seconds;
        p99 = Math.max(p99, result.p99Ms);
        errors += result.non2xx3xx + result.socketErrors;
      }
      const sql = Number.isNaN(spec.statements) ? 'n/a' : String(spec.statements);
      lines.push(
        `| ${spec.label}${errors ? ` (${errors} errors)` : ''} | ${formatNumber(requests / seconds)} | ${formatNumber(p99, 2)} ms | ${formatNumber(requests / cpu)} | ${sql} |`,
      );
    }
    return lines.join('\n');
  } finally {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
