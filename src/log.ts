import { createRequire } from 'node:module';
import pino from 'pino';
import type { LogLevel } from './config.ts';

// Only a terminal needs the pretty printer; a server under a supervisor or a pipe never loads it.
const require = createRequire(import.meta.url);

export type Logger = pino.Logger;

/**
 * JSON lines on stdout for whatever reads them (a log shipper, a pipe); on a terminal, the
 * same lines made readable. `destination` replaces both (tests capture lines through it).
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'lightbox' } };
  if (destination !== undefined) return pino(options, destination);
  if (process.stdout.isTTY) {
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ colorize: true, sync: true, ignore: 'pid,hostname,service' }));
  }
  return pino(options, pino.destination({ sync: false }));
}

/**
 * Where words meant for a person go (the start banner, hints): beside the logs on a terminal,
 * on stderr when stdout is piped, so stdout stays JSON lines only.
 */
export function humanOutput(): NodeJS.WriteStream {
  return process.stdout.isTTY ? process.stdout : process.stderr;
}
