import type { ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { VERSION } from '../version.ts';

interface QueueCounts {
  queued: number;
  running: number;
  failed: number;
}

/** Queued work older than this with nothing running means no worker is taking jobs. */
const STALLED_AFTER_MS = 60_000;

/** `/healthz`: liveness and readiness in one JSON document; 503 when the database does not answer. */
export function createHealthRoute(sqlite: Database.Database, workersInProcess: number) {
  const journalMode = sqlite.prepare<[], { journal_mode: string }>('PRAGMA journal_mode');
  const queue = sqlite.prepare<[], { state: string; count: number; oldest: number }>(
    'SELECT state, count(*) AS count, min(created_at) AS oldest FROM jobs GROUP BY state',
  );
  const startedAt = Date.now();

  return function handleHealth(res: ServerResponse, headOnly: boolean): void {
    let status = 200;
    let body: Record<string, unknown>;
    try {
      const counts: QueueCounts = { queued: 0, running: 0, failed: 0 };
      let oldestQueued: number | undefined;
      for (const row of queue.all()) {
        if (row.state === 'QUEUED') {
          counts.queued = row.count;
          oldestQueued = row.oldest;
        } else if (row.state === 'RUNNING') counts.running = row.count;
        else if (row.state === 'FAILED') counts.failed = row.count;
      }
      const stalled = oldestQueued !== undefined && counts.running === 0 && Date.now() - oldestQueued > STALLED_AFTER_MS;
      body = {
        status: 'ok',
        version: VERSION,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
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
      };
    } catch (error) {
      status = 503;
      body = { status: 'error', version: VERSION, database: { status: 'error', error: (error as Error).message } };
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
