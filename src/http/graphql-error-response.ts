import type { ServerResponse } from 'node:http';
import { type ClientErrorCode, ERRORS } from '../errors.ts';

/** A GraphQL-shaped error answered before Yoga sees the request, with the status the registry gives its code. */
export function sendGraphQLError(
  res: ServerResponse,
  code: ClientErrorCode,
  message: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
  res.writeHead(ERRORS[code].status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}
