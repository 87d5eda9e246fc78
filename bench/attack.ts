// `npm run attack`: replays what a hostile anonymous client sends (issue 24, items 1-4) against a
// Lightbox in its own process on loopback (the server `serve` starts), for a bounded time, and
// reports whether the process lived, its memory before and after, and /healthz latency
// meanwhile; then times hidden vs missing answers.
// Loopback only, every phase bounded. Not a test: it prints figures and writes
// bench/results/attack.md.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FormData, request } from 'undici';
import { machineDescription } from './lib/machine.ts';

const { values } = parseArgs({
  options: { documents: { type: 'string' }, 'drip-seconds': { type: 'string' }, output: { type: 'string' } },
});
const distinctDocuments = Number(values.documents ?? '20000');
const dripSeconds = Number(values['drip-seconds'] ?? '40');
const root = new URL('..', import.meta.url).pathname;
const bin = path.join(root, 'bin/lightbox.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'lightbox-attack-'));
const adminToken = randomBytes(24).toString('base64url');
const env = { ...process.env, LIGHTBOX_DATA_DIR: dataDir, LIGHTBOX_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' };

const imported = spawnSync(process.execPath, [bin, 'import', path.join(root, 'test/fixtures/photos/gps'), '--init'], {
  env,
  encoding: 'utf8',
});
if (imported.status !== 0) throw new Error(`import failed: ${imported.stderr}`);
// The benchmark harness (bench/servers/lightbox.ts, what `serve` starts, over IPC): it can report its
// memory after a full collection, which no signal gets out of `lightbox serve`.
const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/servers/lightbox.ts'), dataDir], {
  env: { ...env, BENCH_ADMIN_TOKEN: adminToken },
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  server.on('message', (message: { type?: string; port?: number }) => {
    if (message.type === 'ready' && message.port !== undefined) resolve(message.port);
  });
});
server.removeAllListeners('exit');
const base = `http://127.0.0.1:${port}`;
let exited: number | null | undefined;
server.once('exit', (code) => {
  exited = code;
});
const alive = () => exited === undefined;

function rssMb(): number {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The server's heap and RSS after a full collection, in MB. */
function memoryAfterGc(): Promise<{ heap: number; rss: number }> {
  return new Promise((resolve) => {
    server.on('message', function onMemory(message: { type?: string; usage?: NodeJS.MemoryUsage }) {
      if (message.type !== 'memory' || message.usage === undefined) return;
      server.off('message', onMemory);
      resolve({ heap: Math.round(message.usage.heapUsed / 2 ** 20), rss: Math.round(message.usage.rss / 2 ** 20) });
    });
    server.send({ type: 'memory' });
  });
}

async function waitForHealth(): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    try {
      const response = await request(`${base}/healthz`);
      await response.body.text();
      if (response.statusCode === 200) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server did not start');
}

/** The status, once the body is read whole (or 0 when the connection broke). */
async function statusOf(response: Awaited<ReturnType<typeof request>>): Promise<number> {
  await response.body.text();
  return response.statusCode;
}

function post(body: string, headers: Record<string, string> = {}): Promise<number> {
  return request(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(
    async (response) => {
      await response.body.text();
      return response.statusCode;
    },
    () => 0,
  );
}

/** /healthz answered every 50 ms while `during` runs: latencies in ms, and how many failed. */
async function probing<T>(during: () => Promise<T>): Promise<{ result: T; p50: number; p99: number; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running && alive()) {
      const started = performance.now();
      try {
        const response = await request(`${base}/healthz`, { headersTimeout: 10_000 });
        await response.body.text();
        if (response.statusCode === 200) latencies.push(performance.now() - started);
        else failed++;
      } catch {
        failed++;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const result = await during();
  running = false;
  await loop;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN).toFixed(1));
  return { result, p50: at(0.5), p99: at(0.99), failed };
}

interface Row {
  attack: string;
  answers: string;
  rssBefore: number;
  rssAfter: number;
  p50: number;
  p99: number;
  failed: number;
}
const rows: Row[] = [];

async function phase(attack: string, run: () => Promise<Map<number, number>>): Promise<void> {
  const rssBefore = rssMb();
  const { result, p50, p99, failed } = await probing(run);
  const answers = [...result.entries()].map(([status, count]) => `${count}× ${status === 0 ? 'reset' : status}`).join(', ');
  rows.push({ attack, answers, rssBefore, rssAfter: alive() ? rssMb() : 0, p50, p99, failed });
  process.stderr.write(`${attack}: ${answers}; alive $alive()\n`);
}

function tally(statuses: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return counts;
}

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

await waitForHealth();
// Warmed first: the pages' modules and the schema's first compiled queries are the server's own, not the attack's.
for (let i = 0; i < 20; i++) await post(JSON.stringify({ query: `{ albums(first: 5) { totalCount } w${i}: __typename }` }));
const startMemory = await memoryAfterGc();

await phase('1. 6,000-level variables (POST ×50, GET ×50, multipart ×20)', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push(await post(`{"query":"{__typename}","variables":{"a":${nested(6000)}}}`));
  for (let i = 0; i < 50; i++) {
    const url = `${base}/graphql?query=%7B__typename%7D&variables=${encodeURIComponent(`{"a":${nested(1500)}}`)}`;
    statuses.push(await request(url).then(statusOf, () => 0));
  }
  for (let i = 0; i < 20; i++) {
    const form = new FormData();
    form.set('operations', `{"query":"mutation{__typename}","variables":{"a":${nested(20_000)}}}`);
    form.set('map', '{}');
    const headers = { authorization: `Bearer ${adminToken}`, 'graphql-preflight': '1' };
    statuses.push(await request(`${base}/graphql`, { method: 'POST', headers, body: form }).then(statusOf, () => 0));
  }
  return tally(statuses);
});

await phase('2. 100 distinct ~1 MB documents (junk with its APQ hash, a valid one with a 1 MB comment)', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) {
    const junk = `${randomBytes(8).toString('hex')} ${'x'.repeat(1000 * 1000)}`;
    const sha256Hash = createHash('sha256').update(junk).digest('hex');
    statuses.push(await post(JSON.stringify({ query: junk, extensions: { persistedQuery: { version: 1, sha256Hash } } })));
    statuses.push(await post(JSON.stringify({ query: `# ${i} ${'y'.repeat(1000 * 1000)}\n{ __typename }` })));
  }
  return tally(statuses);
});

await phase(
  `3. ${distinctDocuments.toLocaleString('en-US')} distinct small queries (aliases and operation names varied), 8 at a time`,
  async () => {
    const statuses: number[] = [];
    const document = (i: number) =>
      `query Q${i} { a${i}: albums(first: ${1 + (i % 20)}) { totalCount edges { node { id title photoCount } } } b${i}: __typename }`;
    for (let i = 0; i < distinctDocuments && alive(); i += 8) {
      const batch = Array.from({ length: Math.min(8, distinctDocuments - i) }, (_, k) => post(JSON.stringify({ query: document(i + k) })));
      statuses.push(...(await Promise.all(batch)));
    }
    return tally(statuses);
  },
);

await phase(`4. 150 sockets announcing 1 MB bodies, a byte every 5 s, for ${dripSeconds} s; one real POST a second meanwhile`, async () => {
  const sockets: Socket[] = [];
  for (let i = 0; i < 150; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n{`);
    sockets.push(socket);
  }
  const dripper = setInterval(() => {
    for (const socket of sockets) if (socket.writable) socket.write(' ');
  }, 5000);
  const statuses: number[] = [];
  const until = Date.now() + dripSeconds * 1000;
  while (Date.now() < until && alive()) {
    statuses.push(await post(JSON.stringify({ query: '{ albums(first: 1) { totalCount } }' })));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  clearInterval(dripper);
  const closedByServer = sockets.filter((socket) => socket.destroyed || socket.readableEnded).length;
  for (const socket of sockets) socket.destroy();
  process.stderr.write(`  drippers the server cut off: ${closedByServer} of 150\n`);
  return tally(statuses);
});

const endMemory = alive() ? await memoryAfterGc() : { heap: 0, rss: 0 };

/** Median of `samples` alternating requests of two kinds, in µs: the server cannot tell them apart by time if these match. */
async function timed(kinds: Record<string, () => Promise<unknown>>, samples: number): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((name) => [name, []]));
  for (let i = 0; i < samples; i++) {
    for (const [name, send] of Object.entries(kinds)) {
      const started = performance.now();
      await send();
      times[name]?.push((performance.now() - started) * 1000);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, list]) => [name, Math.round(list.sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0)]),
  );
}

const listed = await request(`${base}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
  body: JSON.stringify({ query: '{ photos(first: 1) { nodes { image(variant: THUMB) { url } } } }' }),
}).then((response) => response.body.json() as Promise<{ data: { photos: { nodes: { image: { url: string } }[] } } }>);
const privateUrl = listed.data.photos.nodes[0]?.image.url ?? '';
const hiddenId = /\/images\/([\w-]+)\//.exec(privateUrl)?.[1] ?? '';
const bogus = `?exp=${Math.floor(Date.now() / 1000) + 600}&sig=${'A'.repeat(43)}`;
const getStatus = (url: string) => request(`${base}${url}`).then(statusOf);
// Both asked again and again, as a prober would: each is then what the server remembers of that id.
const missingId = randomBytes(16).toString('base64url').slice(0, 22);
const imageTimes = await timed(
  {
    hidden: () => getStatus(`/images/${hiddenId}/thumb.webp${bogus}`),
    missing: () => getStatus(`/images/${missingId}/thumb.webp${bogus}`),
  },
  2000,
);

const finalAlive = alive();
server.kill('SIGKILL');
await new Promise((resolve) => setTimeout(resolve, 1000));
rmSync(dataDir, { recursive: true, force: true });

const table = [
  '| attack | answers | RSS before → after (MB) | /healthz p50 / p99 (ms) | /healthz failed |',
  '|---|---|--:|--:|--:|',
  ...rows.map((row) => `| ${row.attack} | ${row.answers} | ${row.rssBefore} → ${row.rssAfter} | ${row.p50} / ${row.p99} | ${row.failed} |`),
].join('\n');
const report = `# Attack replay (\`npm run attack\`)

${machineDescription()}

Process alive at the end: **${finalAlive ? 'yes' : 'NO'}**. After a full collection, before the attacks → after all of them: heap ${startMemory.heap} → ${endMemory.heap} MB, RSS ${startMemory.rss} → ${endMemory.rss} MB. The table's RSS is as it stood during the run, uncollected.

${table}

Timing of hidden vs missing, median of 2,000 alternating requests each (µs, loopback, client-side):

| request | hidden (private photo) | missing (no such photo) |
|---|--:|--:|
| \`/images/<id>/thumb.webp\` with a bogus signature | ${imageTimes.hidden} | ${imageTimes.missing} |
`;
const output = values.output ?? path.join(root, 'bench/results/attack.md');
writeFileSync(output, report);
process.stdout.write(report);
if (!finalAlive) process.exitCode = 1;
