import { startLightbox } from '../app.ts';
import type { KeptSecret } from '../auth/secrets.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

function adminTokenNotice(config: Config, token: KeptSecret, file: string): string {
  if (config.auth.adminToken !== undefined) return 'Admin token: the one in LIGHTBOX_ADMIN_TOKEN.\n';
  const header = `{"Authorization": "Bearer ${token.created ? token.value : '<token>'}"}`;
  const where = token.created ? `Generated an admin token (kept in ${file}, mode 0600): ${token.value}` : `Admin token: in ${file}`;
  return `${where}\nTo act as admin in GraphiQL, open "Headers" and paste: ${header}\n`;
}

/** `lightbox serve`: runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function serve(config: Config, logger: Logger): Promise<void> {
  const app = await startLightbox(config, logger);
  logger.info({ url: app.url, dataDir: config.dataDir }, 'lightbox is listening');
  process.stdout.write(`Lightbox is running: GraphiQL at ${app.url}/graphql, health at ${app.url}/healthz\n`);
  process.stdout.write(adminTokenNotice(config, app.adminToken, app.layout.adminTokenFile));

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
}
