import type { ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { BucketFiles } from '../storage/bucket-files.ts';
import type { FileStore } from '../storage/file-store.ts';
import { VERSION } from '../version.ts';

interface QueueRow {
  queued: number;
  running: number;
  failed: number;
  /** Created-at of the queued job first in line to be claimed; null when none is claimable. */
  nextQueuedCreatedAt: number | null;
}

/**
 * Only the states that stay small are counted, each a SEARCH of jobs_claim_idx (state, run_after):
 * finished jobs (pruned, but up to an hour's worth) are never read, so a probe costs the same
 * at any library size. Jobs waiting out a retry backoff are not in line yet, so they never make
 * the queue look stalled.
 */
export const QUEUE_HEALTH_SQL = `SELECT
  (SELECT count(*) FROM jobs WHERE state = 'QUEUED') AS queued,
  (SELECT count(*) FROM jobs WHERE state = 'RUNNING') AS running,
  (SELECT count(*) FROM jobs WHERE state = 'FAILED') AS failed,
  (SELECT created_at FROM jobs WHERE state = 'QUEUED' AND run_after <= @now ORDER BY run_after LIMIT 1) AS nextQueuedCreatedAt`;

/** Queued work older than this with nothing running means no worker is taking jobs. */
const STALLED_AFTER_MS = 60_000;

/** What one server process is doing: the lead also runs the photo worker and the start-up passes. */
export interface ServerProcessReport {
  /** Null while its slot waits to be started again. */
  pid: number | null;
  role: 'lead' | 'server';
  /** `unresponsive`: serving, but it has not told the supervisor it is alive for a while (a blocked event loop). */
  state: 'starting' | 'serving' | 'restarting' | 'unresponsive' | 'stopping';
  upSince: string | null;
  /** Times this slot's process was started again after it exited. */
  restarts: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
}

/** Every server process of the library, and the supervisor that started them (none for a single process). */
export interface ProcessesReport {
  supervisor?: { pid: number; upSince: string; rssBytes: number };
  each: ServerProcessReport[];
}

/** The report of a server that is this one process. */
export function singleProcessReport(upSince: string): ProcessesReport {
  const memory = process.memoryUsage();
  return {
    each: [
      { pid: process.pid, role: 'lead', state: 'serving', upSince, restarts: 0, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    ],
  };
}

/**
 * `/healthz`: liveness and readiness in one JSON document; 503 when the database does not answer,
 * `degraded` (still 200: this process answers) when a server process is not serving.
 * `describeProcesses` says what every server process is doing (the supervisor's table, over IPC).
 */
export function createHealthRoute(
  sqlite: Database.Database,
  workersInProcess: number,
  files?: FileStore,
  describeProcesses?: () => Promise<ProcessesReport>,
) {
  const journalMode = sqlite.prepare<[], { journal_mode: string }>('PRAGMA journal_mode');
  const queue = sqlite.prepare<[{ now: number }], QueueRow>(QUEUE_HEALTH_SQL);
  const startedAt = Date.now();
  const upSince = new Date(startedAt).toISOString();
  const describe = describeProcesses ?? (async () => singleProcessReport(upSince));

  return async function handleHealth(res: ServerResponse, headOnly: boolean): Promise<void> {
    let status = 200;
    let body: Record<string, unknown>;
    const processes = await describe().then(
      (report) => ({ answeredBy: process.pid, ...report }),
      (error: unknown) => ({ answeredBy: process.pid, error: `the supervisor did not answer: ${(error as Error).message}` }),
    );
    const allServing = 'each' in processes && processes.each.every((each) => each.state === 'serving');
    try {
      const now = Date.now();
      const { nextQueuedCreatedAt, ...counts } = queue.get({ now }) as QueueRow;
      const stalled = nextQueuedCreatedAt !== null && counts.running === 0 && now - nextQueuedCreatedAt > STALLED_AFTER_MS;
      body = {
        status: allServing ? 'ok' : 'degraded',
        version: VERSION,
        uptimeSeconds: Math.round((now - startedAt) / 1000),
        database: { status: 'ok', journalMode: journalMode.get()?.journal_mode },
        queue: {
          ...counts,
          workersInProcess,
          ...(stalled
            ? {
                warning:
                  workersInProcess === 0
                    ? 'photos are waiting and nothing is processing them: LIGHTBOX_WORKERS=0 here, so run `lightbox worker` beside this server'
                    : 'photos have been waiting over a minute with none being processed',
              }
            : {}),
        },
        storage: storageHealth(files),
        processes,
      };
    } catch (error) {
      status = 503;
      body = { status: 'error', version: VERSION, database: { status: 'error', error: (error as Error).message }, processes };
    }
    const json = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(headOnly ? undefined : json);
  };
}

/**
 * What kind of storage holds the files and, for a bucket, how its local cache is doing: bytes kept
 * of the bound (shared by every process on the host), and this process's image requests answered
 * from it. Never which bucket: /healthz answers anyone. Nothing here asks the bucket either: a
 * probe must not cost egress or fail with the network.
 */
function storageHealth(files: FileStore | undefined): Record<string, unknown> {
  if (!(files instanceof BucketFiles)) return { kind: 'local' };
  return {
    kind: 's3',
    cache: { bytes: files.cache.bytes, maxBytes: files.cache.maxBytes, hits: files.hits, misses: files.misses },
  };
}
