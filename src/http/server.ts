import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UnlockLimiter } from '../auth/unlock-limiter.ts';
import { ViewerCheck } from '../auth/viewer.ts';
import { PhotoFileLookup } from '../catalog/photo-files.ts';
import { ShareAccess } from '../catalog/share-access.ts';
import { ShareUsage } from '../catalog/share-usage.ts';
import { SharedPhotoLookup } from '../catalog/shared-photos.ts';
import type { Config } from '../config.ts';
import { newSqlUsage } from '../db/sql-meter.ts';
import { PreparedReads } from '../db/statements.ts';
import { hasErrorCode } from '../errors.ts';
import type { CallerIdentity } from '../graphql/caller-identity.ts';
import { requestContexts } from '../graphql/context.ts';
import { DirectQueries } from '../graphql/direct-queries.ts';
import { DocumentMemory } from '../graphql/document-memory.ts';
import { PersistedQueries } from '../graphql/persisted-queries.ts';
import { boundsRefusal } from '../graphql/request-bounds.ts';
import { JsonPostBody } from '../graphql/request-params.ts';
import { ResponseCache } from '../graphql/response-cache.ts';
import { schema } from '../graphql/schema.ts';
import { loadTrustedDocuments } from '../graphql/trusted-documents.ts';
import { createGraphQLHandler } from '../graphql/yoga.ts';
import type { Logger } from '../log.ts';
import { MAX_INPUT_PIXELS, RENDER_TIMEOUT_SECONDS } from '../media/limits.ts';
import { type Render, RenderQueue } from '../media/render-queue.ts';
import type { Store } from '../storage/open-store.ts';
import { ImageFileCache } from './file-cache.ts';
import { GRAPHIQL_ASSETS_PREFIX } from './graphiql/assets.ts';
import { serveGraphiQLAsset } from './graphiql/route.ts';
import { sendGraphQLError } from './graphql-error-response.ts';
import { createHealthRoute } from './health.ts';
import { createImageRoute, publicCachePolicy } from './image-route.ts';
import { IMAGES_PREFIX } from './image-url.ts';
import { sendPlain } from './plain-response.ts';
import { redactCredentials } from './redact-url.ts';
import { BodyBudget, type BodyDeadlines, GRAPHQL_BODY_DEADLINES, readRequestBody } from './request-body.ts';
import { createUploadRoute } from './upload-route.ts';
import { createWebPages } from './web/pages.ts';
import { GALLERY_DOCUMENTS } from './web/queries.ts';

/** Bounds how long a cached anonymous result lives; any database change ends it sooner. */
const RESPONSE_CACHE_TTL_MS = 5 * 60 * 1000;

/** Largest GraphQL JSON body: the biggest sensible query with variables is a few KB. Uploads go through multipart. */
export const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;
/** GraphQL requests being answered at once; past it, 503 with Retry-After. */
export const MAX_GRAPHQL_IN_FLIGHT = 128;
/** Bytes of GraphQL bodies still arriving, all requests together; past it, 503 with Retry-After. */
const MAX_RECEIVING_BODY_BYTES = 64 * 1024 * 1024;
/** Longest wait for a request's headers (Node's default is a minute). */
const HEADERS_TIMEOUT_MS = 15_000;

interface Refusal {
  code: 'BODY_TOO_LARGE' | 'LENGTH_REQUIRED' | 'SERVER_BUSY';
  message: string;
  headers?: Record<string, string>;
}

const BUSY: Refusal = {
  code: 'SERVER_BUSY',
  message: `More than ${MAX_GRAPHQL_IN_FLIGHT} GraphQL requests are in progress; retry shortly`,
  headers: { 'Retry-After': '1' },
};

function graphqlBodyRefusal(req: IncomingMessage): Refusal | undefined {
  if (req.method !== 'POST') return undefined;
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    return { code: 'LENGTH_REQUIRED', message: 'A GraphQL POST must carry Content-Length (chunked bodies are not read)' };
  }
  if (Number(declared) > MAX_GRAPHQL_BODY_BYTES) {
    return {
      code: 'BODY_TOO_LARGE',
      message: `A GraphQL request body may be at most ${MAX_GRAPHQL_BODY_BYTES} bytes; upload files as multipart`,
    };
  }
  return undefined;
}

export interface ServerDeps {
  store: Store;
  logger: Logger;
  config: Pick<Config, 'graphql' | 'images' | 'ingest' | 'auth' | 'jobs'>;
  /** The admin token and URL-signing secret in force (configured, or kept in the data dir). */
  secrets: { adminToken: string; secret: string };
  /** Replaces how one rendition is rendered (tests count renders through it). */
  render?: Render;
  /** How long a GraphQL body may take to arrive (GRAPHQL_BODY_DEADLINES unless given). */
  bodyDeadlines?: BodyDeadlines;
  /** Awaited by every JSON POST once it holds its in-flight slot (tests hold requests in flight with it). */
  holdInFlight?: () => Promise<void>;
}

/** One node:http server: images on the raw hot path, GraphQL through Yoga, uploads before Yoga, health probes. */
export function createLightboxServer({
  store,
  logger,
  config,
  secrets,
  render,
  bodyDeadlines = GRAPHQL_BODY_DEADLINES,
  holdInFlight,
}: ServerDeps): {
  server: Server;
  dispose(): Promise<void>;
} {
  const { database, layout } = store;
  const viewers = new ViewerCheck(secrets.adminToken);
  const shareUsage = new ShareUsage(database.db, logger);
  const shares = new ShareAccess({ db: database.db, secret: secrets.secret, usage: shareUsage, limiter: new UnlockLimiter() });
  const images = createImageRoute({
    photos: new PhotoFileLookup(database.sqlite, layout, database.versionThisTurn),
    sharedPhotos: new SharedPhotoLookup(database.sqlite),
    layout,
    renderer: new RenderQueue({
      concurrency: config.images.renderConcurrency,
      maxWaiting: config.images.renderQueue,
      tempDir: layout.tempDir,
      maxPixels: MAX_INPUT_PIXELS,
      timeoutSeconds: RENDER_TIMEOUT_SECONDS,
      render,
    }),
    cache: new ImageFileCache(config.images.cacheBytes),
    logger,
    signing: {
      secret: secrets.secret,
      maxTtlSeconds: config.auth.signedUrlTtlSeconds,
      publicPolicy: publicCachePolicy(config.images.publicMaxAgeSeconds),
    },
  });
  const health = createHealthRoute(database.sqlite, config.jobs.workers);
  const contexts = requestContexts({
    store,
    reads: new PreparedReads(database.sqlite, config.graphql.readCache ? database.version : undefined),
    shares,
    ingest: config.ingest,
    signing: { secret: secrets.secret, ttlSeconds: config.auth.signedUrlTtlSeconds },
  });
  const persistedQueries = new PersistedQueries({
    only: config.graphql.trustedDocuments.only,
    // The gallery's own documents are always trusted: its script sends them to /graphql.
    documents: loadTrustedDocuments(config.graphql.trustedDocuments.files, GALLERY_DOCUMENTS),
    isAdmin: (authorization) => viewers.isAdmin(authorization),
  });
  const responseCache = new ResponseCache({
    persistedQueries,
    // Read once a turn: every request a turn answers from memory arrived before the read.
    databaseVersion: database.versionThisTurn,
    ttlMs: RESPONSE_CACHE_TTL_MS,
    serverTiming: config.graphql.serverTiming,
    cors: config.graphql.corsOrigins.length > 0,
  });
  const documents = new DocumentMemory(schema);
  const directQueries = new DirectQueries({
    schema,
    documents,
    viewers,
    shares,
    contexts,
    responseCache,
    persistedQueries,
    logger,
    serverTiming: config.graphql.serverTiming,
    cors: config.graphql.corsOrigins.length > 0,
  });
  const yoga = createGraphQLHandler({
    store,
    logger,
    viewers,
    shares,
    graphql: config.graphql,
    contexts,
    responseCache,
    persistedQueries,
    documents,
  });
  const gallery = createWebPages({ shares, logger, contexts });
  const uploads = createUploadRoute({ yoga, logger, store, ingest: config.ingest, viewers });

  /** A request that failed past its route's own handling: a 500 for that request, never the process. */
  const failed = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    logger.error({ err: error, url: redactCredentials(req.url ?? '') }, 'request failed');
    if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
    else res.destroy();
  };

  /**
   * GraphQL requests being answered, counted from when their body is whole (a client still
   * sending one holds no slot: the body deadlines bound it instead). With the body limit and
   * the body budget, this bounds the memory requests take.
   */
  const bounds = { maxDocumentBytes: config.graphql.maxDocumentBytes };
  let inFlight = 0;
  const bodies = new BodyBudget(MAX_RECEIVING_BODY_BYTES);
  const takeSlot = (res: ServerResponse): boolean => {
    if (inFlight >= MAX_GRAPHQL_IN_FLIGHT) {
      sendGraphQLError(res, BUSY.code, BUSY.message, BUSY.headers);
      return false;
    }
    inFlight++;
    res.once('close', () => inFlight--);
    logger.debug('graphql request started');
    return true;
  };

  /** A request Yoga answers, with its own SQL tally (Server-Timing, the log line), and its caller if already identified. */
  function executeGraphQL(req: IncomingMessage, res: ServerResponse, identity?: CallerIdentity): void {
    Promise.resolve(yoga(req, res, { req, res, sqlUsage: newSqlUsage(), identity })).catch((error: unknown) => failed(req, res, error));
  }

  /** A body that did not arrive whole: too slow (408) or too many at once (503) get an answer, and the connection is closed. */
  const bodyFailed = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    const code = hasErrorCode(error, 'BODY_TIMEOUT') ? 'BODY_TIMEOUT' : hasErrorCode(error, 'SERVER_BUSY') ? 'SERVER_BUSY' : undefined;
    if (code === undefined) {
      req.destroy();
      return;
    }
    logger.info({ reason: code }, 'graphql request body refused');
    const headers: Record<string, string> = { Connection: 'close', ...(code === 'SERVER_BUSY' ? BUSY.headers : {}) };
    sendGraphQLError(res, code, (error as Error).message, headers);
    res.once('finish', () => req.destroy());
  };

  /** A JSON POST, its body read: from the stored answers, the direct path, or Yoga. */
  function answerPost(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    if (!takeSlot(res)) return;
    if (holdInFlight !== undefined) {
      holdInFlight()
        .then(() => answerHeldPost(req, res, raw))
        .catch((error: unknown) => failed(req, res, error));
      return;
    }
    answerHeldPost(req, res, raw);
  }

  function answerHeldPost(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const body = new JsonPostBody(raw);
    // Refused here, before the stored answers hash it or Yoga parses the body a second time.
    const params = body.params();
    const refusal = params === undefined ? undefined : boundsRefusal(params, bounds);
    if (refusal !== undefined) {
      sendGraphQLError(res, refusal.code, refusal.message, {}, refusal.extensions);
      return;
    }
    // Yoga reads a body already read from here.
    const toYoga = (identity?: CallerIdentity) => {
      Object.assign(req, { body: raw });
      executeGraphQL(req, res, identity);
    };
    if (!directQueries.mayAnswer(req)) {
      toYoga();
      return;
    }
    if (responseCache.serveStoredPost(req, res, body) !== undefined) {
      logger.info({ method: 'POST', status: 200, answered: 'stored', sqlStatements: 0 }, 'graphql request');
      return;
    }
    directQueries.answer(req, res, body, toYoga);
  }

  function answerGraphQL(req: IncomingMessage, res: ServerResponse, search: string): void {
    if (req.method === 'POST' && /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      uploads(req, res).catch((error: unknown) => failed(req, res, error));
      return;
    }
    // A stored anonymous result is answered here, without Yoga: the same bytes, a fraction of the work.
    const stored = search === '' ? undefined : responseCache.serveStoredGet(req, res, search);
    if (stored !== undefined) {
      logger.info({ method: 'GET', status: stored, answered: 'stored', sqlStatements: 0 }, 'graphql request');
      return;
    }
    const refusal = graphqlBodyRefusal(req);
    if (refusal !== undefined) {
      sendGraphQLError(res, refusal.code, refusal.message, refusal.headers);
      // Read and drop the rest: the client gets its answer, the bytes are never kept.
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      if (takeSlot(res)) executeGraphQL(req, res);
      return;
    }
    logger.debug('graphql request body arriving');
    readRequestBody(req, bodyDeadlines, bodies)
      .then(
        (raw) => answerPost(req, res, raw),
        (error: unknown) => bodyFailed(req, res, error),
      )
      .catch((error: unknown) => failed(req, res, error));
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    if (pathname.startsWith(IMAGES_PREFIX)) {
      images(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart));
      return;
    }
    if (pathname === '/graphql') {
      answerGraphQL(req, res, queryStart === -1 ? '' : url.slice(queryStart + 1));
      return;
    }
    if (config.graphql.graphiql && pathname.startsWith(GRAPHIQL_ASSETS_PREFIX)) {
      serveGraphiQLAsset(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart)).catch((error: unknown) => {
        logger.error({ err: error }, 'GraphiQL asset failed');
        if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
        else res.destroy();
      });
      return;
    }
    if (pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
        return;
      }
      health(res, req.method === 'HEAD');
      return;
    }
    if (gallery.handles(pathname)) {
      gallery.handle(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart + 1));
      return;
    }
    sendPlain(res, 404, 'Not found', 'no-store');
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // A bug in a route answers 500 for that request; it never takes the process, and every other request, down.
    try {
      route(req, res);
    } catch (error) {
      failed(req, res, error);
    }
  });
  // Headers must arrive whole within this (Node checks every few seconds); bodies have their own deadlines.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy(error);
  });
  return {
    server,
    dispose: async () => {
      await yoga.dispose();
      shareUsage.close();
    },
  };
}
