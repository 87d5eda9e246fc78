import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../clock.ts';

export interface ClaimedJob {
  id: number;
  photoId: number;
  kind: string;
  /** Including this one. */
  attempts: number;
}

export interface JobQueueOptions {
  leaseMs: number;
  maxAttempts: number;
  /** Delay before retry number `attempt` (1-based). */
  backoffMs: (attempt: number) => number;
}

export const DEFAULT_QUEUE_OPTIONS: JobQueueOptions = {
  leaseMs: 60_000,
  maxAttempts: 3,
  backoffMs: (attempt) => 2_000 * 4 ** (attempt - 1),
};

/**
 * How long a finished job's row is kept: long enough to see in the database what the worker
 * just did, short enough that the table holds about an hour of work, never the whole library.
 */
export const FINISHED_JOB_RETENTION_MS = 60 * 60 * 1000;

/** Deletes a chunk of the jobs finished before @cutoff, found through jobs_claim_idx (state, run_after), never a scan of jobs. */
export const PRUNE_FINISHED_SQL = `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'DONE' AND run_after < @cutoff LIMIT @limit)`;

/** Finished jobs deleted per statement: a short write, so the worker's event loop (and the server's) never waits on a big delete. */
export const PRUNE_CHUNK = 500;

/** Who holds a lease: the host and process first, so the jobs of a process that died can be found. */
export function leaseOwnerPrefix(pid: number): string {
  return `${hostname()}:${pid}:`;
}

/**
 * Ends the leases of a process of this host that died (a server process its supervisor saw
 * crash), so another worker takes its jobs now rather than when the leases run out. Each still
 * counts as an attempt: a photo that kills its worker must end FAILED, not loop.
 */
export function expireLeasesOf(sqlite: Database.Database, pid: number, now = Date.now()): number {
  const prefix = leaseOwnerPrefix(pid);
  return sqlite
    .prepare(
      `UPDATE jobs SET lease_expires_at = @now - 1, updated_at = @now
        WHERE state = 'RUNNING' AND substr(lease_owner, 1, length(@prefix)) = @prefix`,
    )
    .run({ now, prefix }).changes;
}

/**
 * The durable queue in the jobs table. Every transition is one statement, so two workers (in
 * this process or another) can never claim the same job, and a worker that dies simply lets
 * its lease run out: the job is claimed again.
 */
export class JobQueue {
  private readonly claimStatement: Database.Statement;
  private readonly renewStatement: Database.Statement;
  private readonly completeStatement: Database.Statement;
  private readonly retryStatement: Database.Statement;
  private readonly failStatement: Database.Statement;
  private readonly releaseStatement: Database.Statement;
  private readonly pruneStatement: Database.Statement;

  constructor(
    sqlite: Database.Database,
    readonly options: JobQueueOptions = DEFAULT_QUEUE_OPTIONS,
    /** What leases, backoffs and `updated_at` are reckoned from. */
    private readonly clock: Clock = systemClock,
  ) {
    this.claimStatement = sqlite.prepare(
      `UPDATE jobs SET state = 'RUNNING', lease_owner = @owner, lease_expires_at = @now + @leaseMs,
              attempts = attempts + 1, updated_at = @now
        WHERE id = (SELECT id FROM jobs
                     WHERE (state = 'QUEUED' AND run_after <= @now) OR (state = 'RUNNING' AND lease_expires_at < @now)
                     ORDER BY run_after, id LIMIT 1)
        RETURNING id, photo_id AS photoId, kind, attempts`,
    );
    this.renewStatement = sqlite.prepare(
      `UPDATE jobs SET lease_expires_at = @now + @leaseMs, updated_at = @now
        WHERE id = @id AND lease_owner = @owner AND state = 'RUNNING'`,
    );
    // run_after of a finished job is its finishing time: jobs_claim_idx (state, run_after) then finds the old ones to prune.
    this.completeStatement = sqlite.prepare(
      `UPDATE jobs SET state = 'DONE', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, run_after = @now, updated_at = @now
        WHERE id = @id AND lease_owner = @owner`,
    );
    this.retryStatement = sqlite.prepare(
      `UPDATE jobs SET state = 'QUEUED', lease_owner = NULL, lease_expires_at = NULL, last_error = @error,
              run_after = @runAfter, updated_at = @now
        WHERE id = @id AND lease_owner = @owner`,
    );
    this.failStatement = sqlite.prepare(
      `UPDATE jobs SET state = 'FAILED', lease_owner = NULL, lease_expires_at = NULL, last_error = @error, updated_at = @now
        WHERE id = @id AND lease_owner = @owner`,
    );
    this.releaseStatement = sqlite.prepare(
      `UPDATE jobs SET state = 'QUEUED', lease_owner = NULL, lease_expires_at = NULL, attempts = max(attempts - 1, 0),
              updated_at = @now
        WHERE id = @id AND lease_owner = @owner`,
    );
    this.pruneStatement = sqlite.prepare(PRUNE_FINISHED_SQL);
  }

  claim(owner: string, now = this.clock()): ClaimedJob | undefined {
    return this.claimStatement.get({ owner, now, leaseMs: this.options.leaseMs }) as ClaimedJob | undefined;
  }

  /** False when the lease was lost (it expired and another worker took the job). */
  renew(id: number, owner: string, now = this.clock()): boolean {
    return this.renewStatement.run({ id, owner, now, leaseMs: this.options.leaseMs }).changes === 1;
  }

  complete(id: number, owner: string, now = this.clock()): boolean {
    return this.completeStatement.run({ id, owner, now }).changes === 1;
  }

  /** Queues the job again after a backoff, or fails it for good once attempts are used up. */
  fail(job: ClaimedJob, owner: string, error: string, now = this.clock()): 'retry' | 'failed' {
    if (job.attempts >= this.options.maxAttempts) {
      this.failStatement.run({ id: job.id, owner, error, now });
      return 'failed';
    }
    this.retryStatement.run({ id: job.id, owner, error, now, runAfter: now + this.options.backoffMs(job.attempts) });
    return 'retry';
  }

  /**
   * Deletes up to `limit` jobs finished before the retention window; returns how many went (fewer
   * than `limit`: none older are left). FAILED jobs stay: they are what /healthz reports.
   */
  pruneFinished(limit = PRUNE_CHUNK, now = this.clock()): number {
    return this.pruneStatement.run({ cutoff: now - FINISHED_JOB_RETENTION_MS, limit }).changes;
  }

  /** Hands a job back untouched (shutting down): it does not count as an attempt. */
  release(id: number, owner: string, now = this.clock()): void {
    this.releaseStatement.run({ id, owner, now });
  }
}
