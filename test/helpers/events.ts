import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { request } from 'undici';

/** A subscription over Server-Sent Events, read as a plain client reads one (no GraphQL client library). */
export interface EventStream<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The next `next` event's payload; fails after `timeoutMs`, or if the stream completes first. */
  next(timeoutMs?: number): Promise<ExecutionResult<T>>;
  /** Resolves when the stream ends: `complete` when the server completed it (`event: complete`), `closed` when the connection just ended. */
  completed: Promise<'complete' | 'closed'>;
  close(): void;
}

/** POSTs a subscription with `Accept: text/event-stream` (graphql-sse's distinct connections mode) and reads its events. */
export async function subscribe<TResult, TVariables>(
  baseUrl: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<EventStream<TResult>> {
  const controller = new AbortController();
  const response = await request(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
    signal: controller.signal,
  });
  const payloads: ExecutionResult<TResult>[] = [];
  const waiting: ((payload: ExecutionResult<TResult> | undefined) => void)[] = [];
  let done = false;
  let markCompleted: (how: 'complete' | 'closed') => void = () => {};
  const completed = new Promise<'complete' | 'closed'>((resolve) => {
    markCompleted = resolve;
  });
  const finish = (how: 'complete' | 'closed') => {
    if (done) return;
    done = true;
    markCompleted(how);
    for (const wake of waiting.splice(0)) wake(undefined);
  };
  let buffered = '';
  response.body.setEncoding('utf8');
  response.body.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const message = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(message)?.[1];
      const data = message
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (event === 'complete') finish('complete');
      else if (event === 'next') {
        const payload = JSON.parse(data) as ExecutionResult<TResult>;
        const wake = waiting.shift();
        if (wake === undefined) payloads.push(payload);
        else wake(payload);
      }
    }
  });
  response.body.once('end', () => finish('closed'));
  response.body.once('error', () => finish('closed'));
  return {
    status: response.statusCode,
    headers: response.headers,
    completed,
    next: (timeoutMs = 10_000) => {
      const ready = payloads.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      if (done) return Promise.reject(new Error('the stream completed'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((payload) => {
          clearTimeout(timer);
          if (payload === undefined) reject(new Error('the stream completed'));
          else resolve(payload);
        });
      });
    },
    close: () => controller.abort(),
  };
}
