import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection, then the process's memory: what it holds, not what the collector has not swept yet. */
function memoryAfterCollection(): NodeJS.MemoryUsage {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage();
}

/**
 * How a benchmark server talks to the runner over IPC: it says where it listens, and reports
 * its own CPU time on request, so the runner can count requests per server CPU-second, its
 * memory after a full collection (the attack replay), and when its start-up work is done.
 */
export function announce(port: number, settled: Promise<void> = Promise.resolve()): void {
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'settled') void settled.then(() => process.send?.({ type: 'settled' }));
    if (message?.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
    if (message?.type === 'memory') process.send?.({ type: 'memory', usage: memoryAfterCollection() });
    if (message?.type === 'stop') process.exit(0);
  });
  process.send?.({ type: 'ready', port });
}
