import { PassThrough } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { type Dispatcher, request } from 'undici';

export interface GraphQLResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ExecutionResult<T>;
}

/** POSTs a typed document to a running server's /graphql through undici (on `dispatcher`'s connection when given). */
export async function postGraphQL<TResult, TVariables>(
  baseUrl: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
  dispatcher?: Dispatcher,
): Promise<GraphQLResponse<TResult>> {
  const response = await request(`${baseUrl}/graphql`, {
    dispatcher,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.body.json()) as ExecutionResult<TResult>;
  return { status: response.statusCode, headers: response.headers, body };
}

/**
 * A slow client's GraphQL POST on `client`'s connection: the first ten bytes of its body now, the
 * rest when `finish` is called, so the request is in flight until then (the server logs `graphql
 * request body arriving` at debug once it has them).
 */
export function postInTwoParts(client: Dispatcher, query: string): { response: Promise<Dispatcher.ResponseData>; finish(): void } {
  const body = JSON.stringify({ query });
  const slowBody = new PassThrough();
  const response = client.request({
    path: '/graphql',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body: slowBody,
  });
  slowBody.write(body.slice(0, 10));
  return { response, finish: () => slowBody.end(body.slice(10)) };
}

/** The data of a response that must have succeeded; fails loudly with the errors otherwise. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.body.errors?.length || response.body.data == null) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.body.errors)}`);
  }
  return response.body.data;
}

/** `Server-Timing: sql;desc="<n>";dur=<ms>` → n. */
/** Reads a request made: statements it ran plus reads answered from rows remembered since the last commit. */
export function sqlReads(headers: Record<string, string | string[] | undefined>): number {
  const remembered = /remembered;desc="(\d+)"/.exec(String(headers['server-timing'] ?? ''))?.[1];
  return sqlStatements(headers) + Number(remembered ?? 0);
}

/** Whether the response cache answered (Server-Timing `cache;desc="hit"`), before Yoga or in it. */
export function fromResponseCache(headers: Record<string, string | string[] | undefined>): boolean {
  return /cache;desc="hit"/.test(String(headers['server-timing'] ?? ''));
}

export function sqlStatements(headers: Record<string, string | string[] | undefined>): number {
  const value = String(headers['server-timing'] ?? '');
  const match = /sql;desc="(\d+)";dur=([\d.]+)/.exec(value);
  if (!match?.[1]) throw new Error(`no sql metric in Server-Timing: "${value}"`);
  return Number(match[1]);
}
