import type { Clock } from '../clock.ts';
import type { JobConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { MAX_INPUT_PIXELS, PROCESSING_TIMEOUT_SECONDS } from '../media/limits.ts';
import type { Store } from '../storage/open-store.ts';
import { type ClaimedJob, JobQueue } from './jobs.ts';
import { processPhoto } from './process-photo.ts';
import { Worker } from './worker.ts';

export interface PhotoWorkerOptions {
  /** What job leases are reckoned from; the system clock unless given. */
  clock?: Clock;
  /** Told each time a job's outcome is written (see WorkerOptions.onSettled). */
  onSettled?: (job: ClaimedJob) => void;
}

/** A worker that processes photos from the jobs table of this data dir. */
export function createPhotoWorker(
  store: Store,
  logger: Logger,
  jobs: JobConfig,
  concurrency: number,
  options: PhotoWorkerOptions = {},
): Worker {
  const deps = {
    db: store.database.db,
    layout: store.layout,
    files: store.files,
    limits: { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: PROCESSING_TIMEOUT_SECONDS },
  };
  const queue = new JobQueue(
    store.database.sqlite,
    {
      leaseMs: jobs.leaseSeconds * 1000,
      maxAttempts: jobs.attempts,
      backoffMs: (attempt) => jobs.retrySeconds * 1000 * 4 ** (attempt - 1),
    },
    options.clock,
  );
  return new Worker({
    db: store.database.db,
    queue,
    logger,
    concurrency,
    run: (job) => processPhoto(deps, job.photoId),
    onSettled: options.onSettled,
  });
}
