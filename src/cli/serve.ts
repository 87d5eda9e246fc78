import cluster from 'node:cluster';
import { joinLibrary, openLibrary, type RunningLightbox, serveLibrary, startLightbox } from '../app.ts';
import type { KeptSecret } from '../auth/secrets.ts';
import type { Config } from '../config.ts';
import { humanOutput, type Logger } from '../log.ts';
import { configForProcess } from '../processes/process-share.ts';
import { SUPERVISED_ENV, Supervisor } from '../processes/supervisor.ts';
import { SupervisorLink } from '../processes/supervisor-link.ts';
import type { StorageLayout } from '../storage/layout.ts';

/**
 * How the owner signs in: the app's address with the token in its fragment, which a browser never
 * sends (so no proxy or access log sees it); the app keeps it and removes it from the address bar.
 */
function signInNotice(config: Config, token: KeptSecret, file: string, base: string): string {
  const library = `${base}/library`;
  if (config.auth.adminToken !== undefined) return `Your library: ${library} (sign in with the token in LIGHTBOX_ADMIN_TOKEN)\n`;
  const generated = token.created ? `Generated an admin token (kept in ${file}, mode 0600).\n` : '';
  const header = `{"Authorization": "Bearer ${token.value}"}`;
  return `${generated}Your library: ${library}#token=${token.value}\nTo act as admin in GraphiQL, open "Headers" and paste: ${header}\n`;
}

/** What the start banner tells a person: where it runs, which library, how to sign in. */
interface Started {
  url: string;
  created: boolean;
  layout: StorageLayout;
  adminToken: KeptSecret;
}

/** The banner, printed once per server however many processes it has. */
function announce(config: Config, started: Started): void {
  const out = humanOutput();
  const { url, layout } = started;
  out.write(
    `Lightbox is running: GraphiQL at ${url}/graphql, the gallery at ${url}/, your library at ${url}/library, health at ${url}/healthz\n`,
  );
  if (started.created) out.write(`Made a new, empty library in ${layout.dataDir} (LIGHTBOX_DATA_DIR).\n`);
  else out.write(`Serving the library in ${layout.dataDir}.\n`);
  if (config.http.processes > 1) out.write(`${config.http.processes} server processes share it (LIGHTBOX_PROCESSES).\n`);
  out.write(signInNotice(config, started.adminToken, layout.adminTokenFile, config.http.publicUrl ?? url));
  if (config.jobs.workers === 0) {
    out.write('LIGHTBOX_WORKERS=0: this server processes no photos; run `lightbox worker` beside it, or new photos stay PENDING.\n');
  }
}

/**
 * Under `npm start`, a SIGTERM to npm stops the shell between npm and the server and never
 * reaches the server, which would run on with no parent. So a server npm started stops, as on
 * SIGTERM, once its parent is gone. Other servers (nohup, systemd, a container) may outlive theirs.
 */
function stopWithParent(parent: number, stop: () => void): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    stop();
  }, 500);
  watch.unref();
}

/**
 * Stops on SIGTERM or SIGINT (and when npm, our parent, is gone): `stop` once, then the
 * process ends with its exit code; a second signal ends it at once, after `abandon`.
 */
function stopOnSignals(
  logger: Logger,
  parent: number,
  stop: () => Promise<number>,
  abandon: () => void = () => {},
): (signal: NodeJS.Signals) => void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      (exitCode) => {
        if (exitCode === 0) logger.info('shut down cleanly');
        logger.flush();
        process.exitCode = exitCode;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exitCode = 1;
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      abandon();
      process.exit(1);
    }
    shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  stopWithParent(parent, () => shutdown('SIGTERM'));
  // Every request path catches its own failures; one that slips past is a bug to log, not a reason to stop serving everyone else.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (a bug): the server goes on'));
  return shutdown;
}

/**
 * Signals that arrive while the server starts (the lock taken, migrations, processes forking):
 * kept, to stop the server once it can stop cleanly, where the default action would leave the lock
 * and half-started processes behind. A second one ends the process at once, as later.
 */
function signalsWhileStarting(logger: Logger): { first(): NodeJS.Signals | undefined; release(): void } {
  let first: NodeJS.Signals | undefined;
  const keep = (signal: NodeJS.Signals) => {
    if (first !== undefined) {
      logger.warn({ signal }, 'second signal while starting: exiting now');
      process.exit(1);
    }
    first = signal;
    logger.info({ signal }, 'asked to stop while starting: stopping once started');
  };
  process.on('SIGTERM', keep);
  process.on('SIGINT', keep);
  return {
    first: () => first,
    release() {
      process.off('SIGTERM', keep);
      process.off('SIGINT', keep);
    },
  };
}

/** `lightbox serve`: runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function serve(config: Config, logger: Logger): Promise<void> {
  if (cluster.isWorker && process.env[SUPERVISED_ENV] === '1') return serveAsOneOfSeveral(config, logger);
  const early = signalsWhileStarting(logger);
  try {
    if (config.http.processes > 1) return await superviseServers(config, logger, early.first);
    // Read before the start, which takes a while: a parent that goes meanwhile is noticed too.
    const parent = process.ppid;
    const app = await startLightbox(config, logger);
    const shutdown = stopOnSignals(logger, parent, () => app.close().then(() => 0));
    const asked = early.first();
    if (asked !== undefined) return shutdown(asked);
    // Announced only once a signal is handled: whoever waits for this line may stop the server at once.
    logger.info({ url: app.url, dataDir: config.dataDir }, 'lightbox is listening');
    announce(config, app);
  } finally {
    early.release();
  }
}

/**
 * LIGHTBOX_PROCESSES > 1, the primary: does once what must be done once (the lock, migrations,
 * secrets, the temp sweep), then starts and supervises the server processes, holding the lock
 * until the last has stopped, and checkpoints the WAL after them.
 */
async function superviseServers(config: Config, logger: Logger, askedToStop: () => NodeJS.Signals | undefined): Promise<void> {
  const parent = process.ppid;
  const library = await openLibrary(config, logger);
  let failed = false;
  let shutdown: (signal: NodeJS.Signals) => void = () => {};
  const supervisor = new Supervisor({
    processes: config.http.processes,
    store: library.store,
    logger,
    shutdownGraceMs: config.http.shutdownGraceMs,
    onStopAsked: (signal) => shutdown(signal),
    onGiveUp: (reason) => {
      logger.error({ reason }, 'server processes keep crashing: stopping the server');
      failed = true;
      shutdown('SIGTERM');
    },
  });
  let address: { url: string };
  try {
    address = await supervisor.start();
  } catch (error) {
    await supervisor.stop();
    await library.store.discardIfNew();
    throw error;
  }
  shutdown = stopOnSignals(
    logger,
    parent,
    async () => {
      await supervisor.stop();
      library.store.close();
      return failed ? 1 : 0;
    },
    () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    },
  );
  const asked = askedToStop();
  if (asked !== undefined) return shutdown(asked);
  logger.info({ url: address.url, dataDir: config.dataDir, processes: config.http.processes }, 'lightbox is listening');
  announce(config, { url: address.url, created: library.store.created, layout: library.store.layout, adminToken: library.adminToken });
}

/**
 * One server process of several: told by the supervisor what it is (the lead runs the photo
 * worker and the start-up passes), it serves its share of the bounds; it stops when the
 * supervisor says so or is gone. Its start failure is the supervisor's to print, once.
 */
async function serveAsOneOfSeveral(config: Config, baseLogger: Logger): Promise<void> {
  const link = new SupervisorLink();
  link.forwardSignals();
  process.on('unhandledRejection', (reason) => baseLogger.error({ err: reason }, 'unhandled rejection (a bug): the server goes on'));
  const assignment = await link.assignment().catch(() => undefined);
  // Stopped (or its supervisor gone) before it was told what to be: it has nothing to stop.
  if (assignment === undefined) return link.leave();
  const logger = baseLogger.child({ pid: process.pid, role: assignment.role });
  let app: RunningLightbox;
  try {
    const own = configForProcess(config, assignment.processes, assignment.slot);
    app = await serveLibrary(await joinLibrary(config), own, logger, {
      duties: { photoWorker: assignment.role === 'lead', orphanSweep: assignment.orphanSweep },
      otherProcesses: link.otherProcesses(),
    });
  } catch (error) {
    await link.failed(error);
    process.exitCode = 1;
    link.leave();
    return;
  }
  link.whenToStop((reason) => {
    logger.info({ reason }, 'shutting down');
    app
      .close()
      .then(
        () => logger.info('shut down cleanly'),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exitCode = 1;
        },
      )
      .finally(() => {
        logger.flush();
        link.leave();
      });
  });
  logger.info({ slot: assignment.slot }, 'server process is listening');
  link.ready(app.port, app.url);
}
