import type { IncomingMessage } from 'node:http';

/** A request header's value as one string: repeated fields joined as RFC 9110 §5.3 allows; undefined when absent. */
export function requestHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
