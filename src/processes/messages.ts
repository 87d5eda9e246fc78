import type { UnlockCount, UnlockKeys } from '../auth/unlock-limiter.ts';
import { type ErrorCode, LightboxError } from '../errors.ts';
import type { ProcessesReport } from '../http/health.ts';

/**
 * Everything the supervisor and its server processes tell each other, over node:cluster's IPC
 * channel (JSON). Nothing here is on a request's hot path: a process asks only to count a wrong
 * password, to describe the processes for /healthz, or to have share-link uses written.
 */

export type Role = 'lead' | 'server';

/** The supervisor's first message to a process it started: what it is to do. */
export interface Assignment {
  type: 'assignment';
  slot: number;
  /** The lead runs the photo worker and the places pass; exactly one process is the lead. */
  role: Role;
  /** The orphan sweep: the lead of the server's first start only (a replacement finds nothing new to sweep). */
  orphanSweep: boolean;
  /** How many server processes share the library: the per-process share of each split bound. */
  processes: number;
}

/** What a server process may ask the supervisor, and what it answers. */
export type Question = { kind: 'unlock-count'; keys: UnlockKeys; at: number } | { kind: 'describe' } | { kind: 'flush-share-usage' };

export type Answer = UnlockCount | ProcessesReport | { flushed: number };

/** A failure that stopped a process from starting, in what `lightbox` needs to print its one line. */
export interface StartFailure {
  name: string;
  message: string;
  /** A LightboxError's code, or a system error's (EADDRINUSE). */
  code?: string;
  lightbox: boolean;
  syscall?: string;
  port?: number;
  address?: string;
  hostname?: string;
  path?: string;
}

export type ToServer =
  | Assignment
  | { type: 'shutdown' }
  | { type: 'answer'; id: number; answer: Answer }
  /** Asked by the supervisor for another process that lists share links. */
  | { type: 'flush-share-usage'; id: number };

export type ToSupervisor =
  /** Its end of the channel is listening: the assignment may come (a message sent before would be lost). */
  | { type: 'waiting' }
  | { type: 'ready'; port: number; url: string }
  | { type: 'failed'; failure: StartFailure }
  | { type: 'heartbeat'; rssBytes: number; heapUsedBytes: number }
  /** A signal reached this process (a terminal's Ctrl-C reaches the whole group; systemd signals every process): stop them all. */
  | { type: 'stop'; signal: NodeJS.Signals }
  | { type: 'ask'; id: number; question: Question }
  | { type: 'unlock-take-back'; keys: UnlockKeys; at: number }
  | { type: 'share-usage-flushed'; id: number };

/** A start failure as it crosses the channel: a system error's fields survive, as `lightbox` reads them. */
export function describeFailure(error: unknown): StartFailure {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
  return {
    name: text('name') ?? 'Error',
    message: text('message') ?? String(error),
    code: text('code'),
    lightbox: error instanceof LightboxError,
    syscall: text('syscall'),
    port: typeof fields.port === 'number' ? fields.port : undefined,
    address: text('address'),
    hostname: text('hostname'),
    path: text('path'),
  };
}

/** The error again, on the supervisor's side, so the start fails with the line one process would print. */
export function failureError(failure: StartFailure): Error {
  if (failure.lightbox && failure.code !== undefined) return new LightboxError(failure.code as ErrorCode, failure.message);
  const { lightbox: _lightbox, ...fields } = failure;
  return Object.assign(new Error(failure.message), fields);
}
