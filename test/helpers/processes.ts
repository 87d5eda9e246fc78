import { readFileSync } from 'node:fs';
import { Client, request } from 'undici';
import type { ProcessesReport } from '../../src/http/health.ts';
import { isProcessAlive } from '../../src/storage/data-dir-lock.ts';

/** What /healthz says of a server's processes, and which of them answered. */
export interface ProcessesHealth {
  status: string;
  processes: ProcessesReport & { answeredBy: number };
}

/** /healthz, on this connection when given. */
export async function health(url: string, client?: Client): Promise<ProcessesHealth> {
  const response = await request(`${url}/healthz`, { dispatcher: client });
  return (await response.body.json()) as ProcessesHealth;
}

/**
 * One keep-alive connection to each of these server processes (`localAddress`: from that loopback
 * address). The supervisor hands new connections to its processes in turn, so connections are
 * opened until each pid has answered /healthz on one of them; the others are closed.
 */
export async function connectionsTo(url: string, pids: readonly number[], localAddress?: string): Promise<Map<number, Client>> {
  const found = new Map<number, Client>();
  for (let attempt = 0; attempt < 10 * pids.length && found.size < pids.length; attempt++) {
    const client = new Client(url, { localAddress, pipelining: 1 });
    const { answeredBy } = (await health(url, client)).processes;
    if (pids.includes(answeredBy) && !found.has(answeredBy)) found.set(answeredBy, client);
    else await client.close();
  }
  if (found.size < pids.length) throw new Error(`no connection reached every one of the processes ${pids.join(', ')}`);
  return found;
}

/** Closes every connection of the map. */
export async function closeAll(connections: Iterable<Client>): Promise<void> {
  await Promise.all([...connections].map((client) => client.close()));
}

/** Whether a process with this pid still runs (a zombie waiting for its parent counts as gone). */
export function running(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
