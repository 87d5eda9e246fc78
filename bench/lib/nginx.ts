import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pinning } from './machine.ts';
import { freePort, listening } from './ports.ts';
import { type BenchServer, processCpuSeconds } from './server-process.ts';

const NGINX = ['/usr/sbin/nginx', 'nginx'].find((candidate) => spawnSync(candidate, ['-v']).error === undefined);

/** "nginx/1.22.1", or undefined when nginx is not installed. */
export const nginxVersion = NGINX === undefined ? undefined : /nginx\/[\d.]+/.exec(spawnSync(NGINX, ['-v']).stderr.toString())?.[0];

/**
 * nginx serving `root` as a one-process server (master_process off, so the process that answers
 * is the one whose CPU is counted), on its own temp prefix; undefined when nginx is not installed.
 */
/**
 * A whole nginx.conf for one process (master_process off: the process that answers is the one
 * whose CPU is counted, and it needs no user to drop to) that keeps every file it writes under
 * `prefix`, around the given `http {}` contents.
 */
export function oneProcessNginxConf(prefix: string, http: string): string {
  const temp = (kind: string) => `${kind}_temp_path ${path.join(prefix, 'temp', kind)};`;
  return `worker_processes 1;
master_process off;
daemon off;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'error.log')} error;
events { worker_connections 1024; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  ${http}
}
`;
}

export async function startNginx(name: string, root: string): Promise<BenchServer | undefined> {
  if (NGINX === undefined) return undefined;
  const prefix = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-nginx-'));
  await mkdir(path.join(prefix, 'temp'));
  const port = await freePort();
  await writeFile(
    path.join(prefix, 'nginx.conf'),
    oneProcessNginxConf(
      prefix,
      `sendfile on;
  tcp_nopush on;
  types { image/png png; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }`,
    ),
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
