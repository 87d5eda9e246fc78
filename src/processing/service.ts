import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { DEFAULT_MAX_PIXELS } from './ingest.ts';
import { JobQueue } from './jobs.ts';
import { processPhoto } from './pipeline.ts';
import { Worker } from './worker.ts';

const PROCESSING_TIMEOUT_SECONDS = 120;

/** A worker that processes photos from the jobs table of this data dir. */
export function createPhotoWorker(
  database: DatabaseHandle,
  layout: StorageLayout,
  logger: Logger,
  config: Config,
  concurrency: number,
): Worker {
  const deps = { db: database.db, layout, maxPixels: DEFAULT_MAX_PIXELS, timeoutSeconds: PROCESSING_TIMEOUT_SECONDS };
  const queue = new JobQueue(database.sqlite, {
    leaseMs: config.jobLeaseSeconds * 1000,
    maxAttempts: config.jobAttempts,
    backoffMs: (attempt) => config.jobRetrySeconds * 1000 * 4 ** (attempt - 1),
  });
  return new Worker({
    db: database.db,
    queue,
    logger,
    concurrency,
    run: (job) => processPhoto(deps, job.photoId),
  });
}
