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
    this.completeStatement = sqlite.prepare(
      `UPDATE jobs SET state = 'DONE', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, updated_at = @now
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

  /** Hands a job back untouched (shutting down): it does not count as an attempt. */
  release(id: number, owner: string, now = this.clock()): void {
    this.releaseStatement.run({ id, owner, now });
  }
}
