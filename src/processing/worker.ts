import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { photos } from '../db/schema.ts';
import { errorSummary } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type ClaimedJob, type JobQueue, leaseOwnerPrefix, PRUNE_CHUNK } from './jobs.ts';

export interface WorkerOptions {
  db: Db;
  queue: JobQueue;
  logger: Logger;
  concurrency: number;
  /** Runs one claimed job; throwing makes it a failed attempt. */
  run: (job: ClaimedJob) => Promise<void>;
  /** How often an idle worker looks for work. */
  pollMs?: number;
  /** Told each time a claimed job's outcome is written, whatever it was (tests wait on it instead of polling). */
  onSettled?: (job: ClaimedJob) => void;
}

/**
 * Claims jobs with a lease, renews the lease while working, and records the outcome on the job
 * and its photo. `stop()` stops claiming, waits for running jobs (bounded), and hands back any
 * that are still running, so a restart picks them up at once.
 */
export class Worker {
  readonly owner = `${leaseOwnerPrefix(process.pid)}${randomBytes(4).toString('hex')}`;
  private readonly running = new Map<number, { job: ClaimedJob; work: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Stopped, with the jobs still running handed back: what they do next must not touch the database, which may be closed by now. */
  private handedBack = false;
  /**
   * Old finished jobs may be left (a library from before they were pruned): while so, an idle
   * poll deletes one chunk, so a backlog of any size goes without one long delete.
   */
  private finishedBacklog = true;

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fill(), delayMs);
    this.timer.unref?.();
  }

  private fill(): void {
    while (!this.stopping && this.running.size < this.options.concurrency) {
      const job = this.claimOrWarn();
      if (job === undefined) {
        if (this.finishedBacklog) this.pruneFinished();
        break;
      }
      const work = this.work(job).finally(() => {
        this.running.delete(job.id);
        this.schedule(0);
        this.options.onSettled?.(job);
      });
      this.running.set(job.id, { job, work });
    }
    this.schedule(this.options.pollMs ?? 1_000);
  }

  /** The next job, or none now: a claim busy past the timeout (another process's long write) is tried again at the next poll. */
  private claimOrWarn(): ClaimedJob | undefined {
    try {
      return this.options.queue.claim(this.owner);
    } catch (error) {
      this.options.logger.warn({ err: errorSummary(error) }, 'could not claim a job');
      return undefined;
    }
  }

  /** One bounded chunk; a failure here is no job's failure, so it is only logged. */
  private pruneFinished(): void {
    try {
      this.finishedBacklog = this.options.queue.pruneFinished() === PRUNE_CHUNK;
    } catch (error) {
      this.options.logger.warn({ err: errorSummary(error) }, 'could not delete finished jobs');
    }
  }

  private setStatus(photoId: number, status: 'PENDING' | 'PROCESSING' | 'FAILED', failureReason: string | null = null): void {
    this.options.db.update(photos).set({ status, failureReason }).where(eq(photos.id, photoId)).run();
  }

  private async work(job: ClaimedJob): Promise<void> {
    const { queue, logger } = this.options;
    if (job.attempts > queue.options.maxAttempts) {
      // Claimed again after lease expiries only: whatever processed it kept dying.
      const message = `processing was interrupted ${job.attempts - 1} times`;
      queue.fail(job, this.owner, message);
      this.setStatus(job.photoId, 'FAILED', message);
      return;
    }
    this.setStatus(job.photoId, 'PROCESSING');
    logger.debug({ job: job.id, photo: job.photoId }, 'processing a photo');
    const renewal = setInterval(
      () => {
        if (this.handedBack) return;
        try {
          queue.renew(job.id, this.owner);
        } catch (error) {
          // Busy past the timeout (another process's long write): the lease has two more renewals before it runs out.
          logger.warn({ err: errorSummary(error), job: job.id }, 'could not renew the lease of a job');
        }
      },
      Math.max(1_000, queue.options.leaseMs / 3),
    );
    renewal.unref?.();
    try {
      await this.options.run(job);
      if (this.handedBack) return;
      if (!this.stopping || queue.renew(job.id, this.owner)) queue.complete(job.id, this.owner);
      this.pruneFinished();
      logger.info({ job: job.id, photo: job.photoId }, 'processed a photo');
    } catch (error) {
      if (this.handedBack) return;
      if (this.stopping) {
        // Likely cut short by the shutdown itself: not the photo's fault, so not an attempt.
        queue.release(job.id, this.owner);
        this.setStatus(job.photoId, 'PENDING');
        return;
      }
      const message = errorSummary(error);
      const outcome = queue.fail(job, this.owner, message);
      this.setStatus(job.photoId, outcome === 'failed' ? 'FAILED' : 'PENDING', outcome === 'failed' ? message : null);
      logger.warn({ job: job.id, photo: job.photoId, attempt: job.attempts, outcome, err: message }, 'processing failed');
    } finally {
      clearInterval(renewal);
    }
  }

  /** Stops claiming; waits up to `graceMs` for running jobs, then hands the rest back. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
    await Promise.race([Promise.allSettled([...this.running.values()].map((entry) => entry.work)), timeout]);
    for (const { job } of this.running.values()) {
      this.options.queue.release(job.id, this.owner);
      this.setStatus(job.photoId, 'PENDING');
    }
    this.handedBack = true;
  }
}
