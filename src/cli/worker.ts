import type { Config } from '../config.ts';
import { humanOutput, type Logger } from '../log.ts';
import { createPhotoWorker } from '../processing/service.ts';
import { openStore } from '../storage/open-store.ts';

/**
 * `lightbox worker`: processes queued photos of the data dir in its own process, beside or
 * instead of the server's in-process worker, until SIGTERM or SIGINT hands its jobs back.
 */
export async function workerCommand(config: Config, logger: Logger): Promise<void> {
  const store = await openStore(config, { create: false, checkBucket: true });
  const concurrency = Math.max(1, config.jobs.workers);
  const worker = createPhotoWorker(store, logger, config.jobs, concurrency);
  worker.start();
  logger.info({ owner: worker.owner, concurrency }, 'worker started');
  humanOutput().write(`Lightbox worker running (${concurrency} at a time) on ${config.dataDir}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'worker stopping');
    worker.stop(config.http.shutdownGraceMs).then(
      () => {
        store.close();
        logger.flush();
      },
      (error: unknown) => {
        logger.error({ err: error }, 'worker stop failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The worker's timers are unref'd so tests and shutdown are never held; this keeps the process alive until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  process.once('SIGTERM', () => clearInterval(keepAlive));
  process.once('SIGINT', () => clearInterval(keepAlive));
}
