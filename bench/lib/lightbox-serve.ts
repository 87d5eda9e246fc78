import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { pinning } from './machine.ts';
import { freePort, listening } from './ports.ts';
import { type BenchServer, processCpuSeconds } from './server-process.ts';

export interface ServeOptions {
  /** Another checkout's Lightbox (`npm run bench -- --against`). */
  root?: string;
  /** Settings beside the bench's own (PORT, HOST, LOG_LEVEL, LIGHTBOX_WORKERS=0, LIGHTBOX_PROCESSES=1). */
  env?: Record<string, string>;
  /** The CPUs it may run on (taskset's list); by default the server core, as every section pins. */
  cpus?: string | undefined;
}

/** A `lightbox serve` the bench started, with every process it runs. */
export interface ServeProcess extends BenchServer {
  /** The supervisor (or the one process) first, then each server process it started. */
  pids: number[];
}

/**
 * `lightbox serve` as a user starts it (`npx lightbox serve`: bin/lightbox.js, the compiled dist/,
 * built first as `npm start` does), pinned, with its defaults but for the port, the loopback
 * address, silent logs, no in-process worker and one process unless asked. Its CPU is that of
 * every process it runs (/proc, all threads), the supervisor's included.
 */
export async function startLightboxServe(name: string, dataDir: string, options: ServeOptions = {}): Promise<ServeProcess> {
  const root = options.root ?? fileURLToPath(new URL('../..', import.meta.url));
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`${name}: could not build dist/ in ${root}`);
  const port = await freePort();
  const cpus = 'cpus' in options ? options.cpus : pinning.server;
  const command = [process.execPath, path.join(root, 'bin', 'lightbox.js'), 'serve'];
  // taskset execs node: the child's pid is the server's (or its supervisor's).
  const [executable, ...rest] = cpus === undefined ? command : ['taskset', '-c', cpus, ...command];
  const child: ChildProcess = spawn(executable as string, rest, {
    cwd: root,
    env: {
      ...process.env,
      LIGHTBOX_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      // Serving is measured; processing would compete for the CPU.
      LIGHTBOX_WORKERS: '0',
      // One process unless a row asks for more (auto would fork one per core onto the core it is pinned to).
      LIGHTBOX_PROCESSES: '1',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    said += chunk;
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${said.trim()}`))),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (said.includes('Lightbox is running') && (await listening(port))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start within a minute: ${said.trim()}`);
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), exited]);
  }
  // A server that stops later is the stop below, or reported by the request that finds it gone.
  exited.catch(() => {});
  const pid = child.pid as number;
  // An older checkout (--against) reports no processes: it is the one.
  const health = (await (await request(`http://127.0.0.1:${port}/healthz`)).body.json()) as { processes?: { each: { pid: number }[] } };
  const pids = [pid, ...(health.processes?.each ?? []).map((each) => each.pid).filter((each) => each !== pid)];
  return {
    name,
    port,
    pids,
    cpuSeconds: async () => pids.reduce((sum, each) => sum + processCpuSeconds(each), 0),
    stop: async () => {
      child.removeAllListeners('exit');
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
