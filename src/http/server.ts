import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UnlockLimiter, type UnlockWindows } from '../auth/unlock-limiter.ts';
import { ViewerCheck } from '../auth/viewer.ts';
import { ChangeFeed } from '../catalog/change-feed.ts';
import { PhotoFileLookup } from '../catalog/photo-files.ts';
import { ShareAccess } from '../catalog/share-access.ts';
import { LiveShareLinks } from '../catalog/share-links.ts';
import { ShareUsage } from '../catalog/share-usage.ts';
import { SharedPhotoLookup } from '../catalog/shared-photos.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { PreparedReads } from '../db/statements.ts';
import { requestContexts } from '../graphql/context.ts';
import { corsResponseHeaders } from '../graphql/cors.ts';
import { DocumentMemory } from '../graphql/document-memory.ts';
import { PersistedQueries } from '../graphql/persisted-queries.ts';
import { schema } from '../graphql/schema.ts';
import { StoredAnswers } from '../graphql/stored-answers.ts';
import { loadTrustedDocuments } from '../graphql/trusted-documents.ts';
import { createGraphQLEngine } from '../graphql/yoga.ts';
import { DOWNLOAD_PREFIX } from '../images/download-url.ts';
import { grantChecks } from '../images/grant.ts';
import { IMAGES_PREFIX } from '../images/image-url.ts';
import type { Logger } from '../log.ts';
import { MAX_INPUT_PIXELS, RENDER_TIMEOUT_SECONDS } from '../media/limits.ts';
import { type Render, RenderQueue } from '../media/render-queue.ts';
import { BucketFiles } from '../storage/bucket-files.ts';
import type { Store } from '../storage/open-store.ts';
import { createDownloadRoute } from './download-route.ts';
import { ImageFileCache } from './file-cache.ts';
import { GRAPHIQL_ASSETS_PREFIX } from './graphiql/assets.ts';
import { graphiqlPageHeadersPlugin, renderGraphiQLPage } from './graphiql/page.ts';
import { serveGraphiQLAsset } from './graphiql/route.ts';
import { createGraphQLRoute } from './graphql-route.ts';
import { createHealthRoute, type ProcessesReport } from './health.ts';
import { shareImageMemory } from './image-memory.ts';
import { createImageRoute } from './image-route.ts';
import { LIBRARY_DOCUMENTS } from './library/documents.ts';
import { createLibraryRoute } from './library/page.ts';
import { sendPlain } from './plain-response.ts';
import { redactCredentials } from './redact-url.ts';
import { type BodyDeadlines, GRAPHQL_BODY_DEADLINES } from './request-body.ts';
import { ValidatorCache } from './validators.ts';
import { createWebPages } from './web/pages.ts';
import { GALLERY_DOCUMENTS } from './web/queries.ts';

/** Bounds how long a stored anonymous answer lives; any database change ends it sooner. */
const STORED_ANSWER_TTL_MS = 5 * 60 * 1000;
/** Longest wait for a request's headers (Node's default is a minute). */
const HEADERS_TIMEOUT_MS = 15_000;

export interface ServerDeps {
  store: Store;
  logger: Logger;
  config: Pick<Config, 'graphql' | 'images' | 'ingest' | 'auth' | 'jobs' | 'http'>;
  /** The admin token and URL-signing secret in force (configured, or kept in the data dir). */
  secrets: { adminToken: string; secret: string };
  /** Replaces how one rendition is rendered (tests count renders through it). */
  render?: Render;
  /** How long a GraphQL body may take to arrive (GRAPHQL_BODY_DEADLINES unless given). */
  bodyDeadlines?: BodyDeadlines;
  /** Awaited by every JSON POST once it holds its in-flight slot (tests hold requests in flight with it). */
  holdInFlight?: () => Promise<void>;
  /** What share links' expiries and unlock windows are compared with (tests move it on); the system clock unless given. */
  clock?: Clock;
  /** The library's other server processes, through their supervisor; absent when this process is the only one. */
  otherProcesses?: OtherProcesses;
}

/** What this process asks of the other server processes of its library (processes/ answers it over IPC). */
export interface OtherProcesses {
  /** Where wrong share-link passwords are counted, for all of them at once. */
  unlockWindows: UnlockWindows;
  /** Has every other process write the share-link uses it counted (before links are listed). */
  flushShareUsage(): Promise<void>;
  /** What every server process is doing, for /healthz. */
  describe(): Promise<ProcessesReport>;
  /** How this process writes its own share-link uses when another lists the links. */
  answerShareUsageFlushes(flush: () => void): void;
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
  clock,
  otherProcesses,
}: ServerDeps): {
  server: Server;
  /** Completes every subscription and stops the change feed (dispose does too): a shutdown's first step, so it need not wait for streams. */
  endSubscriptions(): void;
  dispose(): Promise<void>;
} {
  const { database, layout } = store;
  const viewers = new ViewerCheck(secrets.adminToken);
  const shareUsage = new ShareUsage(database.db, logger, otherProcesses?.flushShareUsage);
  otherProcesses?.answerShareUsageFlushes(() => {
    try {
      shareUsage.flush();
    } catch (error) {
      logger.warn({ err: error }, 'share link usage could not be written');
    }
  });
  const limiter = new UnlockLimiter(clock, otherProcesses?.unlockWindows);
  const shares = new ShareAccess({ db: database.db, secret: secrets.secret, usage: shareUsage, limiter, clock });
  const memory = shareImageMemory(config.images.cacheBytes);
  // One queue for every file rendered on demand: the image route's and the album downloads' public copies.
  const renderer = new RenderQueue({
    concurrency: config.images.renderConcurrency,
    maxWaiting: config.images.renderQueue,
    files: store.files,
    maxPixels: MAX_INPUT_PIXELS,
    timeoutSeconds: RENDER_TIMEOUT_SECONDS,
    render,
  });
  const images = createImageRoute({
    grants: grantChecks({
      photos: new PhotoFileLookup(database.sqlite, layout, database.versionAtRequestStart, memory.rowBytes),
      sharedPhotos: new SharedPhotoLookup(database.sqlite, clock),
      layout,
      secret: secrets.secret,
      maxTtlSeconds: config.auth.signedUrlTtlSeconds,
      publicMaxAgeSeconds: config.images.publicMaxAgeSeconds,
      clock,
    }),
    layout,
    objects: store.files instanceof BucketFiles ? store.files : undefined,
    renderer,
    cache: new ImageFileCache(memory.bodyBytes),
    validators: new ValidatorCache(memory.validatorBytes),
    logger,
  });
  // Fresh reads: a download pages through members long after it began, and must see each page as it is.
  const downloadReads = new PreparedReads(database.sqlite, false).forRequest(undefined);
  const downloads = createDownloadRoute({
    checks: {
      reads: downloadReads,
      links: new LiveShareLinks(database.db),
      secret: secrets.secret,
      maxTtlSeconds: config.auth.signedUrlTtlSeconds,
      clock: clock ?? Date.now,
    },
    reads: downloadReads,
    layout,
    files: store.files,
    renderer,
    logger,
  });
  const health = createHealthRoute(database.sqlite, config.jobs.workers, store.files, otherProcesses?.describe);
  const changeFeed = new ChangeFeed(database.sqlite, { version: database.version });
  const contexts = requestContexts({
    store,
    changeFeed,
    reads: new PreparedReads(database.sqlite, config.graphql.readCache),
    shares,
    ingest: config.ingest,
    signing: { secret: secrets.secret, ttlSeconds: config.auth.signedUrlTtlSeconds },
  });
  const persistedQueries = new PersistedQueries({
    only: config.graphql.trustedDocuments.only,
    // The gallery's and the owner's app's own documents are always trusted: their scripts send them to /graphql.
    documents: loadTrustedDocuments(config.graphql.trustedDocuments.files, [...GALLERY_DOCUMENTS, ...Object.values(LIBRARY_DOCUMENTS)]),
    isAdmin: (authorization) => viewers.isAdmin(authorization),
  });
  const documents = new DocumentMemory(schema);
  const engine = createGraphQLEngine({
    logger,
    viewers,
    graphql: config.graphql,
    contexts,
    persistedQueries,
    documents,
    graphiqlPage: { render: renderGraphiQLPage, plugin: graphiqlPageHeadersPlugin() },
  });
  const graphql = createGraphQLRoute({
    engine,
    schema,
    documents,
    persistedQueries,
    answers: new StoredAnswers(persistedQueries, STORED_ANSWER_TTL_MS),
    viewers,
    shares,
    contexts,
    databaseVersion: database.version,
    versionAtRequestStart: database.versionAtRequestStart,
    logger,
    graphql: config.graphql,
    corsHeaders: corsResponseHeaders(config.graphql),
    store,
    ingest: config.ingest,
    bodyDeadlines,
    holdInFlight,
  });
  const gallery = createWebPages({ shares, logger, contexts });

  const library = createLibraryRoute({ publicUrl: config.http.publicUrl });

  const routes: Routes = { images, downloads, graphql, health, gallery, library, logger, graphiql: config.graphql.graphiql };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => dispatch(routes, req, res));
  // Headers must arrive whole within this (Node checks every few seconds); bodies have their own deadlines.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy(error);
  });
  return {
    server,
    endSubscriptions: () => changeFeed.close(),
    // Also when listening failed and no shutdown ended the subscriptions: the feed's timers must not outlive the database.
    dispose: async () => {
      changeFeed.close();
      await engine.dispose();
      shareUsage.close();
    },
  };
}

/** The routes one server dispatches to, made once. */
interface Routes {
  images: ReturnType<typeof createImageRoute>;
  downloads: ReturnType<typeof createDownloadRoute>;
  graphql: ReturnType<typeof createGraphQLRoute>;
  health: ReturnType<typeof createHealthRoute>;
  gallery: ReturnType<typeof createWebPages>;
  library: ReturnType<typeof createLibraryRoute>;
  logger: Logger;
  /** Whether GraphiQL (and so its assets) is served. */
  graphiql: boolean;
}

/** Which route answers a request, by its path. A bug in a route answers 500 for that request; it never takes the process, and every other request, down. */
function dispatch(routes: Routes, req: IncomingMessage, res: ServerResponse): void {
  try {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    const search = queryStart === -1 ? '' : url.slice(queryStart + 1);
    if (pathname.startsWith(IMAGES_PREFIX)) {
      routes.images(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart));
    } else if (pathname.startsWith(DOWNLOAD_PREFIX)) {
      routes.downloads(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart));
    } else if (pathname === '/graphql') {
      routes.graphql(req, res, search)?.catch((error: unknown) => failed(routes, req, res, error));
    } else if (routes.graphiql && pathname.startsWith(GRAPHIQL_ASSETS_PREFIX)) {
      serveGraphiQLAsset(req, res, pathname, queryStart === -1 ? '' : url.slice(queryStart)).catch((error: unknown) =>
        failed(routes, req, res, error),
      );
    } else if (pathname === '/healthz') {
      answerHealth(routes, req, res);
    } else if (routes.library.handles(pathname)) {
      routes.library.handle(req, res, pathname, search).catch((error: unknown) => failed(routes, req, res, error));
    } else if (routes.gallery.handles(pathname)) {
      routes.gallery.handle(req, res, pathname, search);
    } else {
      sendPlain(res, 404, 'Not found', 'no-store');
    }
  } catch (error) {
    failed(routes, req, res, error);
  }
}

function answerHealth(routes: Routes, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
    return;
  }
  routes.health(res, req.method === 'HEAD').catch((error: unknown) => failed(routes, req, res, error));
}

/** A request that failed past its route's own handling: a 500 for that request, never the process. */
function failed(routes: Routes, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  routes.logger.error({ err: error, url: redactCredentials(req.url ?? '') }, 'request failed');
  if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
  else res.destroy();
}
