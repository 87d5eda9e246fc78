import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { createYoga } from 'graphql-yoga';
import { SHARE_HEADER, type ShareAccess, type ShareResolution } from '../auth/share-access.ts';
import type { Viewer, ViewerCheck } from '../auth/viewer.ts';
import type { GraphQLConfig } from '../config.ts';
import { meterSync, type SqlUsage } from '../db/sql-meter.ts';
import { hasErrorCode } from '../errors.ts';
import { graphiqlPageHeadersPlugin, renderGraphiQLPage } from '../http/graphiql/page.ts';
import type { StagedUpload } from '../http/multipart-upload.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../storage/open-store.ts';
import { compiledExecutionPlugin } from './compiled-execution.ts';
import type { GraphQLContext, RequestIdentity } from './context.ts';
import { corsOptions, varyOnOriginPlugin } from './cors.ts';
import { csrfPlugin } from './csrf.ts';
import { GRAPHIQL_DEFAULT_QUERY } from './default-query.ts';
import { limitPlugins } from './limits.ts';
import type { PersistedQueries } from './persisted-queries.ts';
import { idErrorsPlugin, maskUnexpectedErrors, requestError } from './request-errors.ts';
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
}

interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Files of a multipart request, staged by the upload route. */
  uploads?: Map<string, StagedUpload>;
  /** The request's SQL tally, made where the request comes in. */
  sqlUsage?: SqlUsage;
}

/** Yoga types a plugin's server context loosely; ours always comes from the routes in server.ts. */
function sqlUsageOf(serverContext: object): SqlUsage | undefined {
  return (serverContext as Partial<ServerContext>).sqlUsage;
}

/**
 * Server-Timing `sql`: how many statements this request ran and how long they took; `remembered`:
 * how many reads were answered from rows remembered since the last commit (LIGHTBOX_READ_CACHE).
 */
function serverTimingPlugin(): Plugin {
  return {
    onResponse({ response, serverContext }) {
      const usage = sqlUsageOf(serverContext);
      if (usage === undefined) return;
      response.headers.append('Server-Timing', `sql;desc="${usage.statements}";dur=${usage.durationMs.toFixed(2)}`);
      if (usage.remembered > 0) response.headers.append('Server-Timing', `remembered;desc="${usage.remembered}"`);
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
    compiledExecutionPlugin(),
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
    context: ({ request, req, uploads, sqlUsage }) => {
      let viewer: Viewer;
      try {
        viewer = viewers.fromAuthorization(request.headers.get('authorization'));
      } catch (error) {
        if (!hasErrorCode(error, 'UNAUTHENTICATED')) throw error;
        throw requestError('UNAUTHENTICATED', `Not authenticated: ${error.message}`, {
          withStatus: true,
          headers: { 'WWW-Authenticate': 'Bearer' },
        });
      }
      // The admin sees everything already: a share header beside the admin token changes nothing.
      const share: ShareResolution =
        viewer.kind === 'admin' ? { kind: 'none' } : meterSync(sqlUsage, () => options.shares.resolve(request.headers.get(SHARE_HEADER)));
      if (share.kind === 'unknown') {
        throw requestError('SHARE_LINK_NOT_FOUND', 'This share link does not exist, or it was revoked or has expired', {
          withStatus: true,
        });
      }
      return contexts({ viewer, share, signal: request.signal, clientAddress: req.socket.remoteAddress ?? '', uploads, sqlUsage });
    },
    plugins,
  });
}
