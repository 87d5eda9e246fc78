import type { AddressInfo } from 'node:net';
import { type KeptSecret, loadOrCreateSecret } from './auth/secrets.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { BodyDeadlines } from './http/request-body.ts';
import { createLightboxServer } from './http/server.ts';
import type { Logger } from './log.ts';
import type { Render } from './media/render-queue.ts';
import { locateUnplacedPhotos } from './places/photo-places.ts';
import type { ClaimedJob } from './processing/jobs.ts';
import { createPhotoWorker } from './processing/service.ts';
import { instrumentConnection } from './sql-meter.ts';
import { BucketFiles } from './storage/bucket-files.ts';
import { sweepTempFiles } from './storage/data-dir.ts';
import { openStore, type Store } from './storage/open-store.ts';
import { sweepOrphanFiles } from './storage/sweep.ts';

export interface RunningLightbox extends Omit<Store, 'discardIfNew'> {
  url: string;
  port: number;
  adminToken: KeptSecret;
  /** Settles when the start-up sweep of unreferenced files is done. */
  maintenance: Promise<void>;
  /** Stops accepting, lets in-flight requests finish (bounded by the grace period), checkpoints the WAL. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Replaces how one rendition is rendered (tests count renders through it). */
  render?: Render;
  /** Replaces how long a GraphQL body may take to arrive (tests of slow clients shorten them). */
  bodyDeadlines?: BodyDeadlines;
  /** Awaited by every GraphQL JSON POST once it holds its in-flight slot (tests of the slot limit). */
  holdInFlight?: () => Promise<void>;
  /** Replaces the system clock for expiries (share links, unlock windows, job leases): tests move it on instead of waiting. */
  clock?: Clock;
  /** Told each time the in-process worker writes a job's outcome (tests wait on it instead of polling the database). */
  onJobSettled?: (job: ClaimedJob) => void;
}

/** Opens the data dir and database (migrating it), then listens. Everything `lightbox serve` does. */
export async function startLightbox(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningLightbox> {
  const store = await openStore(config, { serving: true, create: true, checkBucket: true });
  const { layout, database } = store;
  let adminToken: KeptSecret;
  let secret: KeptSecret;
  try {
    adminToken = await loadOrCreateSecret(layout.adminTokenFile, layout.tempDir, config.auth.adminToken);
    secret = await loadOrCreateSecret(layout.secretFile, layout.tempDir, config.auth.secret);
    instrumentConnection(database.sqlite);
    const swept = await sweepTempFiles(layout);
    if (swept > 0) logger.info({ swept }, 'removed temp files left by an interrupted write');
  } catch (error) {
    await store.discardIfNew();
    throw error;
  }

  const { server, endSubscriptions, dispose } = createLightboxServer({
    store,
    logger,
    config,
    secrets: { adminToken: adminToken.value, secret: secret.value },
    render: options.render,
    bodyDeadlines: options.bodyDeadlines,
    holdInFlight: options.holdInFlight,
    clock: options.clock,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await dispose();
    // A port in use leaves no new, empty library behind.
    await store.discardIfNew();
    throw error;
  }
  // Walking every stored file takes a while in a big library: do it after listening, not before.
  const { files } = store;
  const maintenance = (files instanceof BucketFiles ? files.sweep(database.sqlite) : sweepOrphanFiles(layout, database.sqlite)).then(
    (orphans) => {
      if (orphans.originals + orphans.derived > 0) logger.info(orphans, 'removed files no photo refers to any more');
    },
    (error: unknown) => logger.warn({ err: error }, 'could not sweep orphan files'),
  );
  const worker =
    config.jobs.workers > 0
      ? createPhotoWorker(store, logger, config.jobs, config.jobs.workers, { clock: options.clock, onSettled: options.onJobSettled })
      : undefined;
  worker?.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = address.address === '::' || address.address === '0.0.0.0' ? 'localhost' : host;
  const graceMs = config.http.shutdownGraceMs;

  let placingStopped = false;
  // The server that processes photos also places the ones from before places (photos_unplaced_idx).
  const placing =
    worker === undefined
      ? Promise.resolve()
      : locateUnplacedPhotos(database.db, () => placingStopped).then(
          (placed) => {
            if (placed > 0) logger.info({ placed }, 'found the places of geotagged photos');
          },
          (error: unknown) => logger.warn({ err: error }, 'could not find the places of geotagged photos'),
        );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      endSubscriptions();
      server.closeIdleConnections();
      const grace = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
      if ((await Promise.race([drained, grace])) === 'timeout') {
        logger.warn({ graceMs }, 'in-flight requests outlived the grace period; closing them');
        server.closeAllConnections();
        await drained;
      }
      // Running jobs get the same grace as requests, then go back to the queue for the next start.
      placingStopped = true;
      await worker?.stop(graceMs);
      await maintenance;
      await placing;
      await dispose();
      store.close();
    })();
    return closing;
  };

  return {
    url: `http://${displayHost}:${address.port}`,
    port: address.port,
    layout,
    files,
    database,
    created: store.created,
    adminToken,
    maintenance,
    close,
  };
}
