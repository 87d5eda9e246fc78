import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { request } from 'undici';
import { QUEUE_HEALTH_SQL } from '../src/http/health.ts';
import { FINISHED_JOB_RETENTION_MS, JobQueue, PRUNE_FINISHED_SQL } from '../src/processing/jobs.ts';
import { openStore } from '../src/storage/open-store.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { movableClock } from './helpers/clock.ts';
import { importIntoDataDir } from './helpers/library.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';

const HOUR_MS = 60 * 60 * 1000;

/** Every step of a statement's plan that reads jobs: each must be a SEARCH, so its cost never follows the table's size. */
function jobsSteps(sqlite: Database.Database, sql: string, params: Record<string, number>): string[] {
  const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
  return plan.map((step) => step.detail).filter((detail) => /\bjobs\b/.test(detail));
}

async function withDatabase<T>(dataDir: string, use: (sqlite: Database.Database) => T): Promise<T> {
  const { database } = await openStore({ dataDir }, { create: true });
  try {
    return use(database.sqlite);
  } finally {
    database.close();
  }
}

function jobStates(sqlite: Database.Database): Record<string, number> {
  const rows = sqlite.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as { state: string; n: number }[];
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

/** Finished jobs as an older Lightbox left them (never pruned), for the first photo. */
function insertOldFinishedJobs(sqlite: Database.Database, count: number, finishedAt: number): void {
  sqlite
    .prepare(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count)
      INSERT INTO jobs (photo_id, kind, state, attempts, run_after, created_at, updated_at)
      SELECT (SELECT min(id) FROM photos), 'process', 'DONE', 1, @at, @at, @at FROM n`)
    .run({ count, at: finishedAt });
}

async function queueOf(url: string): Promise<Record<string, unknown>> {
  const response = await request(`${url}/healthz`);
  assert.equal(response.statusCode, 200);
  return ((await response.body.json()) as { queue: Record<string, unknown> }).queue;
}

describe('/healthz and the jobs table stay small whatever the library', () => {
  it('the health statement and the prune are SEARCHes of jobs_claim_idx, never a SCAN of jobs', async () => {
    const dataDir = await makeTempDir();
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
    await withDatabase(dataDir, (sqlite) => {
      insertOldFinishedJobs(sqlite, 5_000, Date.now() - 2 * HOUR_MS);
      for (const [sql, params] of [
        [QUEUE_HEALTH_SQL, { now: Date.now() }],
        [PRUNE_FINISHED_SQL, { cutoff: Date.now(), limit: 500 }],
      ] as const) {
        const steps = jobsSteps(sqlite, sql, params);
        assert.ok(steps.length > 0, sql);
        for (const step of steps) assert.match(step, /^SEARCH jobs USING /, sql);
        assert.ok(
          steps.some((step) => /USING (COVERING )?INDEX jobs_claim_idx \(state=\?/.test(step)),
          `${sql}: by state, through jobs_claim_idx`,
        );
      }
    });
  });

  it('prunes finished jobs in bounded chunks, only past the retention, and never a queued, running or failed one', async () => {
    const dataDir = await makeTempDir();
    await importIntoDataDir(dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
    await withDatabase(dataDir, (sqlite) => {
      const now = Date.now();
      insertOldFinishedJobs(sqlite, 1_200, now - 2 * HOUR_MS);
      insertOldFinishedJobs(sqlite, 7, now - FINISHED_JOB_RETENTION_MS / 2);
      sqlite
        .prepare(`UPDATE jobs SET state = 'FAILED', run_after = @old WHERE id = (SELECT min(id) FROM jobs)`)
        .run({ old: now - 2 * HOUR_MS });
      const queue = new JobQueue(sqlite, undefined, () => now);
      assert.deepEqual(
        [queue.pruneFinished(500), queue.pruneFinished(500), queue.pruneFinished(500), queue.pruneFinished(500)],
        [500, 500, 200, 0],
      );
      assert.deepEqual(jobStates(sqlite), { QUEUED: 2, FAILED: 1, DONE: 7 }, 'the recent finished ones stay');
    });
  });

  it('a server’s worker prunes what finished over an hour ago (an old backlog too) while /healthz keeps counting right', async () => {
    const clock = movableClock();
    const server = await startTestServer({ LIGHTBOX_WORKERS: '1' }, { clock: clock.now });
    const { database } = await openStore({ dataDir: server.dataDir }, { create: true });
    const sqliteOf = () => database.sqlite;
    const doneCount = () => jobStates(sqliteOf()).DONE ?? 0;
    try {
      await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, 'gps'));
      await server.afterJobs(
        () => doneCount() === 3,
        () => `3 finished jobs (${JSON.stringify(jobStates(sqliteOf()))})`,
      );
      assert.deepEqual(await queueOf(server.url), { queued: 0, running: 0, failed: 0, workersInProcess: 1 });
      assert.equal(doneCount(), 3, 'just finished: kept for now');

      // A library from before pruning: thousands of finished jobs, and one failed for good.
      insertOldFinishedJobs(sqliteOf(), 1_400, clock.now() - 2 * HOUR_MS);
      sqliteOf().prepare(`UPDATE jobs SET state = 'FAILED', last_error = 'x' WHERE id = (SELECT min(id) FROM jobs)`).run();
      clock.advance(2 * HOUR_MS);

      await importIntoDataDir(server.dataDir, path.join(FIXTURE_PHOTOS, 'cameras'));
      await server.afterJobs(
        () => jobStates(sqliteOf()).DONE === 6 && jobStates(sqliteOf()).QUEUED === undefined,
        () => `only the 6 new jobs left finished (${JSON.stringify(jobStates(sqliteOf()))})`,
      );
      assert.deepEqual(jobStates(sqliteOf()), { FAILED: 1, DONE: 6 });
      assert.deepEqual(await queueOf(server.url), { queued: 0, running: 0, failed: 1, workersInProcess: 1 });
    } finally {
      database.close();
      await server.close();
    }
  });
});
