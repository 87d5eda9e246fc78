// A Lightbox serving the benchmark data dir given as argv[2]; argv[3], if given, is LIGHTBOX_IMAGE_CACHE_MB.
import { randomBytes } from 'node:crypto';
import { startLightbox } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { announce } from './protocol.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: lightbox.ts <data dir>');
const config = loadConfig({
  LIGHTBOX_DATA_DIR: dataDir,
  // The GraphQL bench sends admin requests too: it picks the token.
  LIGHTBOX_ADMIN_TOKEN: process.env.BENCH_ADMIN_TOKEN ?? randomBytes(24).toString('base64url'),
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  // Serving is measured here; processing has its own section and would compete for the CPU.
  LIGHTBOX_WORKERS: '0',
  ...(process.argv[3] === undefined ? {} : { LIGHTBOX_IMAGE_CACHE_MB: process.argv[3] }),
  // The GraphQL bench measures reads with and without the memory of rows between commits.
  ...(process.env.LIGHTBOX_READ_CACHE === undefined ? {} : { LIGHTBOX_READ_CACHE: process.env.LIGHTBOX_READ_CACHE }),
});
const app = await startLightbox(config, createLogger('silent'));
announce(app.port, app.maintenance);
