import { startLightbox } from '../app.ts';
import type { KeptSecret } from '../auth/secrets.ts';
import type { Config } from '../config.ts';
import { humanOutput, type Logger } from '../log.ts';

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

/** `lightbox serve`: runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function serve(config: Config, logger: Logger): Promise<void> {
  // Read before the start, which takes a while: a parent that goes meanwhile is noticed too.
  const parent = process.ppid;
  const app = await startLightbox(config, logger);
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logger.info('shut down cleanly');
        logger.flush();
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  stopWithParent(parent, () => shutdown('SIGTERM'));
  // Every request path catches its own failures; one that slips past is a bug to log, not a reason to stop serving everyone else.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (a bug): the server goes on'));
  // Announced only once a signal is handled: whoever waits for this line may stop the server at once.
  logger.info({ url: app.url, dataDir: config.dataDir }, 'lightbox is listening');
  const out = humanOutput();
  out.write(
    `Lightbox is running: GraphiQL at ${app.url}/graphql, the gallery at ${app.url}/, your library at ${app.url}/library, health at ${app.url}/healthz\n`,
  );
  if (app.created) out.write(`Made a new, empty library in ${app.layout.dataDir} (LIGHTBOX_DATA_DIR).\n`);
  else out.write(`Serving the library in ${app.layout.dataDir}.\n`);
  out.write(signInNotice(config, app.adminToken, app.layout.adminTokenFile, config.http.publicUrl ?? app.url));
  if (config.jobs.workers === 0) {
    out.write('LIGHTBOX_WORKERS=0: this server processes no photos; run `lightbox worker` beside it, or new photos stay PENDING.\n');
  }
}
