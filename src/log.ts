import pino from 'pino';
import type { LogLevel } from './config.ts';

export type Logger = pino.Logger;

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'lightbox' } }, destination ?? pino.destination({ sync: false }));
}
