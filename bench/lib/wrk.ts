import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pinning } from './machine.ts';

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p99Ms: number;
  non2xx3xx: number;
  socketErrors: number;
}

export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  if (process.getuid?.() === 0) {
    process.stderr.write('wrk is missing: installing the Debian package (apt-get install -y wrk)\n');
    const install = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
    if (install.status === 0) return;
  }
  throw new Error('wrk is not installed: run `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`, then try again');
}

function toMs(value: string, unit: string): number {
  const number = Number(value);
  if (unit === 'us') return number / 1000;
  if (unit === 's') return number * 1000;
  if (unit === 'm') return number * 60_000;
  return number;
}

/** One wrk run: one thread, `connections` keep-alive connections, loopback only; on `cpus` (taskset's list), the load core unless given. */
export function runWrk(
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
  connections = 50,
  script?: string,
  cpus: string | undefined = pinning.load,
): Promise<WrkResult> {
  if (!/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)[:/]/.test(url)) throw new Error(`refusing to load anything but loopback: ${url}`);
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    // Slow cases (an uncached GraphQL page under 50 connections) must count as slow, not as errors.
    '--timeout',
    '10s',
    ...(script === undefined ? [] : ['-s', script]),
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    url,
  ];
  const [command, ...rest] = cpus === undefined ? ['wrk', ...args] : ['taskset', '-c', cpus, 'wrk', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let diagnostics = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      diagnostics += chunk;
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`wrk exited with ${code}: ${out}`));
        return;
      }
      // A script wrk cannot load is reported on stderr, and wrk goes on with plain GETs: a number that measures nothing.
      if (script !== undefined && diagnostics.includes(`${path.basename(script)}:`)) {
        reject(new Error(`wrk could not run ${script}: ${diagnostics.trim()}`));
        return;
      }
      if (process.env.WRK_DEBUG) process.stderr.write(out);
      const total = /(\d+) requests in ([\d.]+)(\w+)/.exec(out);
      const p99 = /99%\s+([\d.]+)(us|ms|s|m)/.exec(out);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      if (!total || !p99 || !rps) {
        reject(new Error(`could not read wrk output: ${out}`));
        return;
      }
      resolve({
        requests: Number(total[1]),
        seconds: toMs(total[2] as string, total[3] as string) / 1000,
        requestsPerSecond: Number(rps[1]),
        p99Ms: toMs(p99[1] as string, p99[2] as string),
        non2xx3xx: non ? Number(non[1]) : 0,
        socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
      });
    });
  });
}
