// The command line's start: how long `lightbox --help`, `album list` and `serve` (until /healthz
// answers) take as a person runs them (bin/lightbox.js, which runs the compiled dist/), next to
// the same commands from the TypeScript sources through tsx (LIGHTBOX_FROM_SOURCES=1, how every
// start went before dist/) and to a bare `node -e 0` on the same machine in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { formatNumber } from './lib/format.ts';
import { freePort } from './lib/ports.ts';

const REPO = new URL('..', import.meta.url).pathname;
const BIN = path.join(REPO, 'bin/lightbox.js');

export interface CliStartOptions {
  /** Starts timed per cell; the median is reported. */
  runs: number;
}

type Mode = 'compiled' | 'sources';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function environment(dataDir: string, mode: Mode, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LIGHTBOX_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    LIGHTBOX_FROM_SOURCES: mode === 'sources' ? '1' : '0',
    ...extra,
  };
}

/** Wall ms of one command to its exit; fails loudly if it fails. */
function timedRun(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

/** Wall ms from spawning `lightbox serve` until /healthz answers 200; the server is stopped after. */
async function timedServe(dataDir: string, mode: Mode): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const server = spawn(process.execPath, [BIN, 'serve'], { env: environment(dataDir, mode, { PORT: String(port) }), stdio: 'ignore' });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  try {
    for (const deadline = started + 30_000; performance.now() < deadline; ) {
      const answered = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (answered) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('lightbox serve did not answer /healthz within 30 s');
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

export async function benchCliStart(options: CliStartOptions): Promise<string> {
  const built = spawnSync(process.execPath, [path.join(REPO, 'scripts/build.js'), '--if-stale'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/build.js failed: ${built.stderr}`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-cli-'));
  try {
    timedRun([BIN, 'migrate', '--init'], environment(dataDir, 'compiled'));
    const library = new Database(path.join(dataDir, 'lightbox.db'));
    library.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) INSERT INTO albums (public_id, title, visibility) SELECT printf('bench-cli-album-%02d', i), printf('Album %d', i), 'PRIVATE' FROM n",
    );
    library.close();
    const cells = new Map<string, number[]>();
    const record = (name: string, ms: number) => cells.set(name, [...(cells.get(name) ?? []), ms]);
    // Cells alternate within each round, so a neighbour's burst lands on all of them alike.
    for (let run = 0; run < options.runs; run++) {
      record('node', timedRun(['-e', '0'], process.env));
      for (const mode of ['compiled', 'sources'] as const) {
        record(`help ${mode}`, timedRun([BIN, '--help'], environment(dataDir, mode)));
        record(`list ${mode}`, timedRun([BIN, 'album', 'list'], environment(dataDir, mode)));
        record(`serve ${mode}`, await timedServe(dataDir, mode));
      }
    }
    const ms = (name: string) => median(cells.get(name) ?? []);
    const bare = ms('node');
    const rows = [
      ['`lightbox --help`', 'help', '300 ms'],
      ['`lightbox album list` (20 albums)', 'list', '300 ms'],
      ['`lightbox serve` until `/healthz` answers', 'serve', '1,500 ms'],
    ].map(([label, key, goal]) => {
      const compiled = ms(`${key} compiled`);
      const sources = ms(`${key} sources`);
      return `| ${label} | ${formatNumber(compiled)} | ${goal} | ${formatNumber(compiled / bare, 1)}× | ${formatNumber(sources)} | ${formatNumber(sources / compiled, 1)}× |`;
    });
    return [
      `Median wall time of ${options.runs} starts per cell, cells alternating; bare \`node -e 0\`: ${formatNumber(bare)} ms in the same run.`,
      '',
      '| command | ms (dist/) | goal | × bare node | ms from sources (tsx) | sources ÷ dist/ |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  process.stdout.write(`${await benchCliStart({ runs: Number(process.argv[2] ?? '7') })}\n`);
}
