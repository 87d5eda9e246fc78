import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinning } from './machine.ts';
import { freePort, listening } from './ports.ts';
import type { BenchServer } from './server-process.ts';

const CLOCK_TICKS_PER_SECOND = 100;

/** user + system CPU of a process and every process below it, in seconds (/proc: all threads included). */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (id: number) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${id}/stat`, 'utf8');
    } catch {
      return;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
    for (const task of readdirSync(`/proc/${id}/task`)) {
      let children = '';
      try {
        children = readFileSync(`/proc/${id}/task/${task}/children`, 'utf8');
      } catch {}
      for (const child of children.split(' ').filter(Boolean)) visit(Number(child));
    }
  };
  visit(pid);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

export interface ServeOptions {
  /** Another checkout's Lightbox (`npm run bench -- --against`). */
  root?: string;
  /** Settings beside the bench's own (PORT, HOST, LOG_LEVEL, LIGHTBOX_WORKERS=0, LIGHTBOX_PROCESSES=1). */
  env?: Record<string, string>;
}

/**
 * `lightbox serve` as a user starts it (`npx lightbox serve`: bin/lightbox.js, the compiled dist/
 * when it is fresh), on the server core, with its defaults but for the port, the loopback address,
 * silent logs, no in-process worker and one process unless asked. Its CPU is read from /proc for the whole process tree, so
 * a server of several processes is counted whole.
 */
export async function startLightboxServe(
  name: string,
  dataDir: string,
  options: ServeOptions = {},
): Promise<BenchServer & { pid: number }> {
  const root = options.root ?? fileURLToPath(new URL('../..', import.meta.url));
  // What `npm start` does first: the compiled copy, made again if the sources changed since.
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`${name}: could not build dist/ in ${root}`);
  const port = await freePort();
  const command = [process.execPath, path.join(root, 'bin', 'lightbox.js'), 'serve'];
  const [executable, ...rest] = pinning.server === undefined ? command : ['taskset', '-c', pinning.server, ...command];
  const child: ChildProcess = spawn(executable as string, rest, {
    cwd: root,
    env: {
      ...process.env,
      LIGHTBOX_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      LIGHTBOX_WORKERS: '0',
      // One process per server core unless a row asks for more (auto would fork one per core, on the one core it is pinned to).
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
  return {
    name,
    port,
    pid,
    cpuSeconds: async () => treeCpuSeconds(pid),
    stop: () =>
      new Promise((done) => {
        child.removeAllListeners('exit');
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
