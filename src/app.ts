import type { AddressInfo } from 'node:net';
import { type KeptSecret, loadOrCreateSecret } from './auth/secrets.ts';
import type { Config } from './config.ts';
import { applyMigrations, type DatabaseHandle, openDatabase } from './db/client.ts';
import { instrumentConnection } from './db/sql-meter.ts';
import type { Logger } from './log.ts';
import { createPhotoWorker } from './processing/service.ts';
import { createLightboxServer } from './server.ts';
import { prepareDataDir, sweepTempFiles } from './storage/data-dir.ts';
import { StorageLayout } from './storage/layout.ts';
import { sweepOrphanFiles } from './storage/sweep.ts';

export interface RunningLightbox {
  url: string;
  port: number;
  layout: StorageLayout;
  database: DatabaseHandle;
  adminToken: KeptSecret;
  /** Settles when the start-up sweep of unreferenced files is done. */
  maintenance: Promise<void>;
  /** Stops accepting, lets in-flight requests finish (bounded by the grace period), checkpoints the WAL. */
  close(): Promise<void>;
}

/** Opens the data dir and database (migrating it), then listens. Everything `lightbox serve` does. */
export async function startLightbox(config: Config, logger: Logger): Promise<RunningLightbox> {
  const layout = new StorageLayout(config.dataDir);
  await prepareDataDir(layout);
  const adminToken = await loadOrCreateSecret(layout.adminTokenFile, layout.tempDir, config.adminToken);
  const secret = await loadOrCreateSecret(layout.secretFile, layout.tempDir, config.secret);
  const database = openDatabase(layout.databaseFile);
  try {
    applyMigrations(database);
    instrumentConnection(database.sqlite);
    const swept = await sweepTempFiles(layout);
    if (swept > 0) logger.info({ swept }, 'removed temp files left by an interrupted write');
  } catch (error) {
    database.close();
    throw error;
  }

  const { server, dispose } = createLightboxServer({
    database,
    layout,
    logger,
    graphiql: config.graphiql,
    introspection: config.introspection,
    production: config.production,
    serverTiming: config.serverTiming,
    adminToken: adminToken.value,
    secret: secret.value,
    signedUrlTtlSeconds: config.signedUrlTtlSeconds,
    renderConcurrency: config.renderConcurrency,
    renderQueue: config.renderQueue,
    imageCacheBytes: config.imageCacheBytes,
    uploadMaxBytes: config.uploadMaxBytes,
    importAllowHosts: config.importAllowHosts,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Walking every stored file takes a while in a big library: do it after listening, not before.
  const maintenance = sweepOrphanFiles(layout, database.sqlite).then(
    (orphans) => {
      if (orphans.originals + orphans.derived > 0) logger.info(orphans, 'removed files no photo refers to any more');
    },
    (error: unknown) => logger.warn({ err: error }, 'could not sweep orphan files'),
  );
  const worker = config.workers > 0 ? createPhotoWorker(database, layout, logger, config, config.workers) : undefined;
  worker?.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = address.address === '::' || address.address === '0.0.0.0' ? 'localhost' : host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<'timeout'>((resolve) => setTimeout(resolve, config.shutdownGraceMs, 'timeout').unref());
      if ((await Promise.race([drained, grace])) === 'timeout') {
        logger.warn({ graceMs: config.shutdownGraceMs }, 'in-flight requests outlived the grace period; closing them');
        server.closeAllConnections();
        await drained;
      }
      // Running jobs get the same grace as requests, then go back to the queue for the next start.
      await worker?.stop(config.shutdownGraceMs);
      await maintenance;
      await dispose();
      database.close();
    })();
    return closing;
  };

  return { url: `http://${displayHost}:${address.port}`, port: address.port, layout, database, adminToken, maintenance, close };
}
