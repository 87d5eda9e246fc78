import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** A benchmark server this process started, which it can ask over IPC. */
export interface NodeBenchServer extends BenchServer {
  pid: number;
  /** Settles when the server's start-up work (the sweep of orphan files) is done. */
  settled(): Promise<void>;
  /** The server's memory after a full collection: what it holds, not what the collector has not swept yet. */
  collectedMemory(): Promise<NodeJS.MemoryUsage>;
}

/** utime + stime of one process, from /proc (clock ticks of 1/100 s on Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in MB (VmRSS). */
export function residentMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/**
 * Starts a benchmark server script in its own process, pinned to the server core when there are
 * two; from another checkout's bench/servers/ when `root` is given (`npm run bench -- --against`).
 */
export function startServer(name: string, script: string, args: string[], root?: string): Promise<NodeBenchServer> {
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
        pid: child.pid as number,
        collectedMemory: () =>
          new Promise((done) => {
            child.on('message', function onMemory(reply: { type?: string; usage?: NodeJS.MemoryUsage }) {
              if (reply.type !== 'memory' || reply.usage === undefined) return;
              child.off('message', onMemory);
              done(reply.usage);
            });
            child.send({ type: 'memory' });
          }),
        settled: () =>
          new Promise((done) => {
            child.on('message', function onSettled(reply: { type?: string }) {
              if (reply.type !== 'settled') return;
              child.off('message', onSettled);
              done();
            });
            child.send({ type: 'settled' });
          }),
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
