import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { createYoga } from 'graphql-yoga';
import type { ViewerCheck } from '../auth/viewer.ts';
import type { ShareAccess } from '../catalog/share-access.ts';
import type { GraphQLConfig } from '../config.ts';
import { type SqlUsage, sqlServerTiming } from '../db/sql-meter.ts';
import { graphiqlPageHeadersPlugin, renderGraphiQLPage } from '../http/graphiql/page.ts';
import type { StagedUpload } from '../http/multipart-upload.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../storage/open-store.ts';
import { type CallerIdentity, callerIdentity } from './caller-identity.ts';
import { compiledExecutionPlugin } from './compiled-execution.ts';
import type { GraphQLContext, RequestIdentity } from './context.ts';
import { corsOptions, varyOnOriginPlugin } from './cors.ts';
import { csrfPlugin } from './csrf.ts';
import { GRAPHIQL_DEFAULT_QUERY } from './default-query.ts';
import type { DocumentMemory } from './document-memory.ts';
import { limitPlugins } from './limits.ts';
import type { PersistedQueries } from './persisted-queries.ts';
import { requestBoundsPlugin } from './request-bounds.ts';
import { idErrorsPlugin, maskUnexpectedErrors } from './request-errors.ts';
import type { ResponseCache } from './response-cache.ts';
import { schema } from './schema.ts';

export interface YogaOptions {
  store: Store;
  logger: Logger;
  viewers: ViewerCheck;
  shares: ShareAccess;
  graphql: GraphQLConfig;
  /** Each request's context, once its credentials are read (the share page builds its own the same way). */
  contexts: (identity: RequestIdentity) => GraphQLContext;
  /** The anonymous query cache, whose stored GETs the server also answers before Yoga. */
  responseCache: ResponseCache;
  persistedQueries: PersistedQueries;
  /** Parsed documents and their compiled queries (which the direct path then runs without Yoga). */
  documents: DocumentMemory;
}

interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Files of a multipart request, staged by the upload route. */
  uploads?: Map<string, StagedUpload>;
  /** The request's SQL tally, made where the request comes in. */
  sqlUsage?: SqlUsage;
  /** The caller, when a route identified it before handing the request on (see DirectQueries). */
  identity?: CallerIdentity;
}

/** Yoga types a plugin's server context loosely; ours always comes from the routes in server.ts. */
function sqlUsageOf(serverContext: object): SqlUsage | undefined {
  return (serverContext as Partial<ServerContext>).sqlUsage;
}

/** Server-Timing on Yoga's answers: the request's SQL tally. */
function serverTimingPlugin(): Plugin {
  return {
    onResponse({ response, serverContext }) {
      const usage = sqlUsageOf(serverContext);
      if (usage !== undefined) response.headers.append('Server-Timing', sqlServerTiming(usage));
    },
  };
}

/** One info line per GraphQL request: operation, status, time and SQL. */
function requestLogPlugin(logger: Logger): Plugin {
  const started = new WeakMap<Request, { at: number; operationName?: string }>();
  return {
    onRequest({ request }) {
      started.set(request, { at: performance.now() });
    },
    onParams({ request, params }) {
      const entry = started.get(request);
      if (entry && params.operationName) entry.operationName = params.operationName;
    },
    onResponse({ request, response, serverContext }) {
      const entry = started.get(request);
      const usage = sqlUsageOf(serverContext);
      logger.info(
        {
          method: request.method,
          operation: entry?.operationName,
          status: response.status,
          ms: entry ? Number((performance.now() - entry.at).toFixed(2)) : undefined,
          sqlStatements: usage?.statements,
        },
        'graphql request',
      );
    },
  };
}

export function createGraphQLHandler(options: YogaOptions) {
  const { graphql, viewers } = options;
  const { contexts } = options;
  const plugins: Plugin[] = [
    // First: nothing reads a document or walks its variables before their size and depth are known to be sane.
    requestBoundsPlugin({ maxDocumentBytes: graphql.maxDocumentBytes }),
    csrfPlugin(),
    // First: every later hook (limits, the cache key) sees the document a hash names.
    options.persistedQueries.plugin(),
    ...limitPlugins({
      introspection: graphql.introspection,
      hideSuggestions: (request) => graphql.production && !viewers.isAdmin(request.headers.get('authorization')),
    }),
    ...options.responseCache.plugins(),
    requestLogPlugin(options.logger),
    varyOnOriginPlugin(graphql),
    graphiqlPageHeadersPlugin(),
    idErrorsPlugin(),
    compiledExecutionPlugin(options.documents),
  ];
  if (graphql.serverTiming) plugins.push(serverTimingPlugin());
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Every body Yoga reads is bounded before it gets here (server.ts: Content-Length required and
    // at most MAX_GRAPHQL_BODY_BYTES; the upload route's operations field): Yoga's own limit would
    // pipe each body through a counting stream for nothing.
    maxRequestBodySize: false,
    parserAndValidationCache: options.documents.yogaCaches(),
    maskedErrors: { maskError: maskUnexpectedErrors },
    cors: corsOptions(graphql),
    graphiql: graphql.graphiql ? { defaultQuery: GRAPHIQL_DEFAULT_QUERY, title: 'Lightbox GraphiQL' } : false,
    renderGraphiQL: renderGraphiQLPage,
    logging: {
      debug: (...args) => options.logger.debug(args.map(String).join(' ')),
      info: (...args) => options.logger.info(args.map(String).join(' ')),
      warn: (...args) => options.logger.warn(args.map(String).join(' ')),
      error: (...args) => options.logger.error(args.map((arg) => (arg instanceof Error ? arg.stack : String(arg))).join(' ')),
    },
    context: ({ request, req, uploads, sqlUsage, identity }) => {
      const { viewer, share } = identity ?? callerIdentity(viewers, options.shares, (name) => request.headers.get(name), sqlUsage);
      return contexts({ viewer, share, signal: request.signal, clientAddress: req.socket.remoteAddress ?? '', uploads, sqlUsage });
    },
    plugins,
  });
}
