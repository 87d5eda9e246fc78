import type { AddressInfo } from 'node:net';
import { type KeptSecret, loadOrCreateSecret } from './auth/secrets.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { BodyDeadlines } from './http/request-body.ts';
import type { OtherProcesses } from './http/server.ts';
import type { Logger } from './log.ts';
import type { Render } from './media/render-queue.ts';
import type { ClaimedJob } from './processing/jobs.ts';
import { instrumentConnection } from './sql-meter.ts';
import { BucketFiles } from './storage/bucket-files.ts';
import { sweepTempFiles } from './storage/data-dir.ts';
import { openStore, type Store } from './storage/open-store.ts';
import { sweepOrphanFiles } from './storage/sweep.ts';

export interface RunningLightbox extends Omit<Store, 'discardIfNew'> {
  url: string;
  port: number;
  adminToken: KeptSecret;
  /** Settles when the start-up sweep of unreferenced files is done (at once when this process does not sweep). */
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

/** A library ready to serve: its store and the secrets in force. */
export interface OpenedLibrary {
  store: Store;
  adminToken: KeptSecret;
  secret: KeptSecret;
}

/**
 * What one server process of several does besides answering requests. Exactly one, the lead,
 * runs the photo worker and the places pass, and the orphan sweep at the server's first start:
 * two workers would only contend for the same jobs, two sweeps walk the same files.
 */
export interface Duties {
  photoWorker: boolean;
  orphanSweep: boolean;
}

/** The duties of a server that is one process: all of them. */
export const EVERY_DUTY: Duties = { photoWorker: true, orphanSweep: true };

export interface ServeOptions extends StartOptions {
  duties: Duties;
  /** The library's other server processes (through the supervisor); absent when this is the only one. */
  otherProcesses?: OtherProcesses;
}

/**
 * What must happen once per start, before any process serves: the data dir locked (one server
 * per library), the database migrated, the secrets loaded or made, and the temp files of dead
 * writers removed (only correct before this server writes any of its own). A failure leaves no
 * new, empty library behind.
 */
export async function openLibrary(config: Config, logger: Logger): Promise<OpenedLibrary> {
  const store = await openStore(config, { serving: true, create: true, checkBucket: true });
  try {
    const adminToken = await loadOrCreateSecret(store.layout.adminTokenFile, store.layout.tempDir, config.auth.adminToken);
    const secret = await loadOrCreateSecret(store.layout.secretFile, store.layout.tempDir, config.auth.secret);
    const swept = await sweepTempFiles(store.layout);
    if (swept > 0) logger.info({ swept }, 'removed temp files left by an interrupted write');
    return { store, adminToken, secret };
  } catch (error) {
    await store.discardIfNew();
    throw error;
  }
}

/**
 * The library as one of several server processes opens it: its supervisor holds the lock, has
 * migrated the database and made the secrets, and checkpoints the WAL once every process is done.
 */
export async function joinLibrary(config: Config): Promise<OpenedLibrary> {
  const store = await openStore(config, { create: false, checkpointOnClose: false });
  try {
    const adminToken = await loadOrCreateSecret(store.layout.adminTokenFile, store.layout.tempDir, config.auth.adminToken);
    const secret = await loadOrCreateSecret(store.layout.secretFile, store.layout.tempDir, config.auth.secret);
    return { store, adminToken, secret };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** Opens the data dir and database (migrating it), then listens. Everything `lightbox serve` does as one process. */
export async function startLightbox(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningLightbox> {
  return serveLibrary(await openLibrary(config, logger), config, logger, { ...options, duties: EVERY_DUTY });
}

/** Listens on the library, then starts the duties this process has. */
export async function serveLibrary(
  library: OpenedLibrary,
  config: Config,
  logger: Logger,
  options: ServeOptions,
): Promise<RunningLightbox> {
  // Loaded here, not with this module: a supervisor opens the library and never serves it, and stays small.
  const [{ createLightboxServer }, { createPhotoWorker }, { locateUnplacedPhotos }] = await Promise.all([
    import('./http/server.ts'),
    import('./processing/service.ts'),
    import('./places/photo-places.ts'),
  ]);
  const { store, adminToken, secret } = library;
  const { layout, database } = store;
  instrumentConnection(database.sqlite);
  const { server, endSubscriptions, dispose } = createLightboxServer({
    store,
    logger,
    config,
    secrets: { adminToken: adminToken.value, secret: secret.value },
    render: options.render,
    bodyDeadlines: options.bodyDeadlines,
    holdInFlight: options.holdInFlight,
    clock: options.clock,
    otherProcesses: options.otherProcesses,
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
  const maintenance = options.duties.orphanSweep
    ? (files instanceof BucketFiles ? files.sweep(database.sqlite) : sweepOrphanFiles(layout, database.sqlite)).then(
        (orphans) => {
          if (orphans.originals + orphans.derived > 0) logger.info(orphans, 'removed files no photo refers to any more');
        },
        (error: unknown) => logger.warn({ err: error }, 'could not sweep orphan files'),
      )
    : Promise.resolve();
  const worker =
    options.duties.photoWorker && config.jobs.workers > 0
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
