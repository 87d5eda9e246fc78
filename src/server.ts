import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DatabaseHandle } from './db/client.ts';
import { meterSql } from './db/sql-meter.ts';
import { createUploadRoute } from './graphql/upload-route.ts';
import { createGraphQLHandler } from './graphql/yoga.ts';
import { createHealthRoute } from './health.ts';
import { ImageFileCache } from './images/file-cache.ts';
import { IMAGES_PREFIX } from './images/image-path.ts';
import { PhotoFileLookup } from './images/photo-lookup.ts';
import { RenderQueue } from './images/render.ts';
import { createImageRoute } from './images/route.ts';
import type { Logger } from './log.ts';
import { DEFAULT_MAX_PIXELS } from './processing/ingest.ts';
import type { StorageLayout } from './storage/layout.ts';

export interface ServerDeps {
  database: DatabaseHandle;
  layout: StorageLayout;
  logger: Logger;
  graphiql: boolean;
  introspection: boolean;
  production: boolean;
  serverTiming: boolean;
  adminToken: string;
  secret: string;
  signedUrlTtlSeconds: number;
  renderConcurrency: number;
  renderQueue: number;
  imageCacheBytes: number;
  uploadMaxBytes: number;
  importAllowHosts: ReadonlySet<string>;
}

const RENDER_TIMEOUT_SECONDS = 30;

function sendPlain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(body);
}

/** One node:http server: images on the raw hot path, GraphQL through Yoga, health probes. */
export function createLightboxServer(deps: ServerDeps): { server: Server; dispose(): Promise<void> } {
  const images = createImageRoute({
    photos: new PhotoFileLookup(deps.database.sqlite, deps.layout),
    layout: deps.layout,
    renderer: new RenderQueue({
      concurrency: deps.renderConcurrency,
      maxWaiting: deps.renderQueue,
      tempDir: deps.layout.tempDir,
      maxPixels: DEFAULT_MAX_PIXELS,
      timeoutSeconds: RENDER_TIMEOUT_SECONDS,
    }),
    cache: new ImageFileCache(deps.imageCacheBytes),
    logger: deps.logger,
    secret: deps.secret,
  });
  const health = createHealthRoute(deps.database.sqlite);
  const yoga = createGraphQLHandler({
    db: deps.database.db,
    sqlite: deps.database.sqlite,
    layout: deps.layout,
    introspection: deps.introspection,
    production: deps.production,
    logger: deps.logger,
    graphiql: deps.graphiql,
    serverTiming: deps.serverTiming,
    adminToken: deps.adminToken,
    secret: deps.secret,
    signedUrlTtlSeconds: deps.signedUrlTtlSeconds,
    ingestLimits: { maxBytes: deps.uploadMaxBytes, importAllowHosts: deps.importAllowHosts },
  });

  const uploads = createUploadRoute({
    yoga,
    ingest: { db: deps.database.db, layout: deps.layout, maxBytes: deps.uploadMaxBytes },
    adminToken: deps.adminToken,
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    if (pathname.startsWith(IMAGES_PREFIX)) {
      images(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart));
      return;
    }
    if (pathname === '/graphql') {
      if (req.method === 'POST' && /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
        meterSql(() => uploads(req, res));
        return;
      }
      meterSql(() => yoga(req, res, { req, res }));
      return;
    }
    if (pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendPlain(res, 405, 'Method not allowed: use GET or HEAD', { Allow: 'GET, HEAD' });
        return;
      }
      health(res, req.method === 'HEAD');
      return;
    }
    if (pathname === '/') {
      res.writeHead(302, { Location: '/graphql', 'Content-Length': 0 });
      res.end();
      return;
    }
    sendPlain(res, 404, 'Not found');
  });
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy(error);
  });
  return {
    server,
    dispose: async () => {
      await yoga.dispose();
    },
  };
}
