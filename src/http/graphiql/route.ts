import type { IncomingMessage, ServerResponse } from 'node:http';
import { namedQuality } from '../accept.ts';
import { evaluatePreconditions } from '../conditional.ts';
import { sendPlain } from '../plain-response.ts';
import { GRAPHIQL_ASSETS_PREFIX, GraphiQLAssets, graphiqlAssets } from './assets.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

function acceptsGzip(req: IncomingMessage): boolean {
  const q = namedQuality(req.headers['accept-encoding'] ?? '', 'gzip');
  return q !== undefined && q > 0;
}

/** GET/HEAD of GraphiQL's files: a year of caching under a hashed URL, 304 by ETag, gzip when accepted. */
export async function serveGraphiQLAsset(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void> {
  const headOnly = req.method === 'HEAD';
  if (req.method !== 'GET' && !headOnly) {
    sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
    return;
  }
  const assets = await graphiqlAssets();
  const found = assets.get(pathname.slice(GRAPHIQL_ASSETS_PREFIX.length));
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
  const body = gzip ? await GraphiQLAssets.gzipped(found) : found.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  res.end(headOnly ? undefined : body);
}
