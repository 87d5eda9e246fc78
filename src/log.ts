import pino from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.ts';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout for whatever reads them (a log shipper, a pipe); on a terminal, the
 * same lines made readable. `destination` replaces both (tests capture lines through it).
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'lightbox' } };
  if (destination !== undefined) return pino(options, destination);
  if (process.stdout.isTTY) return pino(options, pretty({ colorize: true, sync: true, ignore: 'pid,hostname,service' }));
  return pino(options, pino.destination({ sync: false }));
}

/**
 * Where words meant for a person go (the start banner, hints): beside the logs on a terminal,
 * on stderr when stdout is piped, so stdout stays JSON lines only.
 */
export function humanOutput(): NodeJS.WriteStream {
  return process.stdout.isTTY ? process.stdout : process.stderr;
}
