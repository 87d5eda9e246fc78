import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pinning } from './machine.ts';
import type { BenchServer } from './server-process.ts';

const NGINX = ['/usr/sbin/nginx', 'nginx'].find((candidate) => spawnSync(candidate, ['-v']).error === undefined);

/** "nginx/1.22.1", or undefined when nginx is not installed. */
export const nginxVersion = NGINX === undefined ? undefined : /nginx\/[\d.]+/.exec(spawnSync(NGINX, ['-v']).stderr.toString())?.[0];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** utime + stime of one process, from /proc (clock ticks of 1/100 s on Linux). */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * nginx serving `root` as a one-process server (master_process off, so the process that answers
 * is the one whose CPU is counted), on its own temp prefix; undefined when nginx is not installed.
 */
export async function startNginx(name: string, root: string): Promise<BenchServer | undefined> {
  if (NGINX === undefined) return undefined;
  const prefix = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-nginx-'));
  await mkdir(path.join(prefix, 'temp'));
  const port = await freePort();
  const temp = (kind: string) => `${kind}_temp_path ${path.join(prefix, 'temp', kind)};`;
  await writeFile(
    path.join(prefix, 'nginx.conf'),
    `worker_processes 1;
master_process off;
daemon off;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'error.log')} error;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { image/png png; }
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const command = [NGINX, '-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')];
  const [executable, ...args] = pinning.server === undefined ? command : ['taskset', '-c', pinning.server, ...command];
  const child: ChildProcess = spawn(executable as string, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(prefix, { recursive: true, force: true });
      throw new Error(`nginx did not start (see ${path.join(prefix, 'error.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid as number;
  return {
    name,
    port,
    cpuSeconds: async () => processCpuSeconds(pid),
    stop: async () => {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGKILL');
      });
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
