// A Lightbox serving the data dir given as argv[2], its files where LIGHTBOX_STORAGE (from this
// process's environment, with LIGHTBOX_S3_ENDPOINT, AWS_*, LIGHTBOX_LOCAL_CACHE_MB and LIGHTBOX_UPLOAD_MAX_MB) says: the
// object-storage section's local-disk and bucket servers alike (bench/object-storage.ts).
import { randomBytes } from 'node:crypto';
import { startLightbox } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { announce } from './protocol.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: lightbox-storage.ts <data dir>');
const storageEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) =>
    /^(LIGHTBOX_STORAGE|LIGHTBOX_S3_|LIGHTBOX_LOCAL_CACHE_MB|LIGHTBOX_UPLOAD_MAX_MB|AWS_)/.test(name),
  ),
);
const config = loadConfig({
  ...storageEnv,
  LIGHTBOX_DATA_DIR: dataDir,
  LIGHTBOX_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  LIGHTBOX_WORKERS: '0',
});
const app = await startLightbox(config, createLogger('silent'));
announce(app.port, app.maintenance);
