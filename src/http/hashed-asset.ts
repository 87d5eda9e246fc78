import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { namedQuality } from './accept.ts';
import { evaluatePreconditions } from './conditional.ts';
import { sendPlain } from './plain-response.ts';

const gzipAsync = promisify(gzip);
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A file a page links as `<path>?v=<hash>`: the URL changes whenever the file does, so it is cached for a year. */
export interface HashedAsset {
  contentType: string;
  body: Buffer;
  /** A short content hash: the `v` of its URL and the opaque part of its ETag. */
  hash: string;
  /** Made on the first request that accepts it, then kept. */
  gzipped?: Promise<Buffer>;
}

export function hashedAsset(contentType: string, body: Buffer): HashedAsset {
  return { contentType, body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}

function acceptsGzip(req: IncomingMessage): boolean {
  const q = namedQuality(req.headers['accept-encoding'] ?? '', 'gzip');
  return q !== undefined && q > 0;
}

/** GET/HEAD of one asset: a year of caching under its hashed URL, 304 by ETag, gzip when accepted; `undefined` is a 404. */
export async function serveHashedAsset(
  req: IncomingMessage,
  res: ServerResponse,
  found: HashedAsset | undefined,
  query: string,
): Promise<void> {
  const headOnly = req.method === 'HEAD';
  if (req.method !== 'GET' && !headOnly) {
    sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
    return;
  }
  if (found === undefined) {
    sendPlain(res, 404, 'Not found', 'no-store', headOnly);
    return;
  }
  const gzip = acceptsGzip(req);
  const etag = gzip ? `"${found.hash}-gz"` : `"${found.hash}"`;
  const headers: Record<string, string | number> = {
    'Content-Type': found.contentType,
    ETag: etag,
    // An unversioned or outdated URL still gets today's file, but must ask again next time.
    'Cache-Control': new URLSearchParams(query).get('v') === found.hash ? IMMUTABLE : 'no-cache',
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  const outcome = evaluatePreconditions({ ifMatch: req.headers['if-match'], ifNoneMatch: req.headers['if-none-match'] }, etag, 0);
  if (outcome === 'not-modified') {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  if (outcome === 'precondition-failed') {
    sendPlain(res, 412, 'Precondition failed', 'no-store', headOnly);
    return;
  }
  let body = found.body;
  if (gzip) {
    found.gzipped ??= gzipAsync(found.body, { level: 9 });
    body = await found.gzipped;
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  res.end(headOnly ? undefined : body);
}
