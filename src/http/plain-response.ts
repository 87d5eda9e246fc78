import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** A short text answer with a reason a person can read: every error the raw routes send. */
export function sendPlain(
  res: ServerResponse,
  status: number,
  reason: string,
  cacheControl: string,
  headOnly = false,
  extra?: OutgoingHttpHeaders,
): void {
  const body = `${reason}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': cacheControl,
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  });
  res.end(headOnly ? undefined : body);
}
