import type { IncomingMessage } from 'node:http';
import { LightboxError } from '../errors.ts';

/** How long a body may take: a client that stalls or drips is cut off, whatever it announced. */
export interface BodyDeadlines {
  /** Longest wait for the next byte. */
  idleMs: number;
  /** Longest wait for the whole body. */
  totalMs: number;
}

/** A GraphQL JSON body is at most 1 MB: 30 s is 35 KB/s, far below any real client's link. */
export const GRAPHQL_BODY_DEADLINES: BodyDeadlines = { idleMs: 10_000, totalMs: 30_000 };

/**
 * The bytes of bodies being received at once, across requests: what a crowd of clients sending
 * big bodies together may hold in memory before the next one is turned away (503). It counts
 * bytes that arrived, not the ones announced, so a socket that drips holds nothing.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly maxBytes: number) {}

  take(bytes: number): boolean {
    if (this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}

/** Why reading a body stopped short: the client was too slow, the server too full, or the client went away. */
export function bodyTimeout(deadlines: BodyDeadlines): LightboxError {
  return new LightboxError(
    'BODY_TIMEOUT',
    `The request body did not arrive in time (${deadlines.idleMs / 1000} s without a byte, or ${deadlines.totalMs / 1000} s in all)`,
  );
}

export function bodyBudgetFull(): LightboxError {
  return new LightboxError('SERVER_BUSY', 'Too many request bodies are arriving at once; retry shortly');
}

/**
 * The whole body of a request whose size the server already bounded (by its Content-Length),
 * within the deadlines and the budget. The budget holds the bytes only while they are read:
 * once the body is whole it is the caller's.
 */
export function readRequestBody(req: IncomingMessage, deadlines: BodyDeadlines, budget: BodyBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let idle: NodeJS.Timeout | undefined;
    let settled = false;
    const stop = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(total);
      budget.give(received);
      req.off('data', onData);
      if (error === undefined) {
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        return;
      }
      reject(error);
    };
    const total = setTimeout(() => stop(bodyTimeout(deadlines)), deadlines.totalMs);
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stop(bodyTimeout(deadlines)), deadlines.idleMs);
    };
    const onData = (chunk: Buffer) => {
      if (!budget.take(chunk.length)) {
        stop(bodyBudgetFull());
        return;
      }
      received += chunk.length;
      chunks.push(chunk);
      armIdle();
    };
    armIdle();
    req.on('data', onData);
    req.once('end', () => stop());
    req.once('error', (error) => stop(error));
    req.once('close', () => {
      if (!req.complete) stop(new Error('the client went away before its body was sent'));
    });
  });
}
