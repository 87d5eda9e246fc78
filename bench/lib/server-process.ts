import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinning } from './machine.ts';

export interface BenchServer {
  name: string;
  port: number;
  /** The server process's own user+system CPU time, in seconds. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a benchmark server script in its own process, pinned to the server core when there are
 * two; from another checkout's bench/servers/ when `root` is given (`npm run bench -- --against`).
 */
export function startServer(name: string, script: string, args: string[], root?: string): Promise<BenchServer> {
  const file =
    root === undefined ? fileURLToPath(new URL(`../servers/${script}`, import.meta.url)) : path.join(root, 'bench', 'servers', script);
  const command = [process.execPath, '--import', 'tsx', file, ...args];
  const [executable, ...rest] = pinning.server === undefined ? command : ['taskset', '-c', pinning.server, ...command];
  const child: ChildProcess = spawn(executable as string, rest, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    child.on('message', function onReady(message: { type?: string; port?: number }) {
      if (message.type !== 'ready' || message.port === undefined) return;
      clearTimeout(timer);
      child.off('message', onReady);
      resolve({
        name,
        port: message.port,
        cpuSeconds: () =>
          new Promise((done) => {
            child.on('message', function onCpu(reply: { type?: string; usage?: NodeJS.CpuUsage }) {
              if (reply.type !== 'cpu' || reply.usage === undefined) return;
              child.off('message', onCpu);
              done((reply.usage.user + reply.usage.system) / 1e6);
            });
            child.send({ type: 'cpu' });
          }),
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    });
  });
}
