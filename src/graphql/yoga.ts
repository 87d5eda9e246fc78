import type { IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import { createGraphQLError, createYoga, type Plugin } from 'graphql-yoga';
import { AuthenticationError, isAdminAuthorization, tokenDigest, type Viewer, viewerFromAuthorization } from '../auth/viewer.ts';
import type { Db } from '../db/client.ts';
import { currentSqlUsage } from '../db/sql-meter.ts';
import { signedUrlExpiry } from '../images/signing.ts';
import type { Logger } from '../log.ts';
import type { StagedUpload } from '../processing/upload-request.ts';
import type { StorageLayout } from '../storage/layout.ts';
import type { GraphQLContext } from './context.ts';
import { csrfPlugin } from './csrf.ts';
import { GRAPHIQL_DEFAULT_QUERY } from './default-query.ts';
import { limitPlugins } from './limits.ts';
import { createLoaders } from './loaders.ts';
import { responseCachePlugins } from './response-cache.ts';
import { schema } from './schema.ts';

export interface YogaOptions {
  db: Db;
  sqlite: Database.Database;
  layout: StorageLayout;
  introspection: boolean;
  /** Production hides field suggestions from everyone but the admin. */
  production: boolean;
  logger: Logger;
  adminToken: string;
  secret: string;
  signedUrlTtlSeconds: number;
  ingestLimits: { maxBytes: number; importAllowHosts: ReadonlySet<string> };
  graphiql: boolean;
  serverTiming: boolean;
}

/** Bounds how long a cached anonymous result lives; any database change ends it sooner. */
const RESPONSE_CACHE_TTL_MS = 5 * 60 * 1000;

interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Files of a multipart request, staged by the upload route. */
  uploads?: Map<string, StagedUpload>;
}

/** Server-Timing `sql`: how many statements this request ran and how long they took. */
function serverTimingPlugin(): Plugin {
  return {
    onResponse({ response }) {
      const usage = currentSqlUsage();
      if (usage === undefined) return;
      response.headers.append('Server-Timing', `sql;desc="${usage.statements}";dur=${usage.durationMs.toFixed(2)}`);
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
    onResponse({ request, response }) {
      const entry = started.get(request);
      const usage = currentSqlUsage();
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
  const adminTokenDigest = tokenDigest(options.adminToken);
  const isAdminRequest = (request: Request) => isAdminAuthorization(request.headers.get('authorization'), adminTokenDigest);
  const plugins: Plugin[] = [
    csrfPlugin(),
    ...limitPlugins({ introspection: options.introspection, hideSuggestions: (request) => options.production && !isAdminRequest(request) }),
    ...responseCachePlugins({ sqlite: options.sqlite, ttlMs: RESPONSE_CACHE_TTL_MS }),
    requestLogPlugin(options.logger),
  ];
  if (options.serverTiming) plugins.push(serverTimingPlugin());
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: options.graphiql ? { defaultQuery: GRAPHIQL_DEFAULT_QUERY, title: 'Lightbox GraphiQL' } : false,
    logging: {
      debug: (...args) => options.logger.debug(args.map(String).join(' ')),
      info: (...args) => options.logger.info(args.map(String).join(' ')),
      warn: (...args) => options.logger.warn(args.map(String).join(' ')),
      error: (...args) => options.logger.error(args.map((arg) => (arg instanceof Error ? arg.stack : String(arg))).join(' ')),
    },
    context: ({ request, uploads }) => {
      let viewer: Viewer;
      try {
        viewer = viewerFromAuthorization(request.headers.get('authorization'), adminTokenDigest);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        throw createGraphQLError(`Not authenticated: ${error.message}`, {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
        });
      }
      return {
        db: options.db,
        layout: options.layout,
        viewer,
        signing: { secret: options.secret, expiresAt: signedUrlExpiry(Date.now(), options.signedUrlTtlSeconds) },
        loaders: createLoaders(options.db),
        uploads: uploads ?? new Map(),
        ingestLimits: options.ingestLimits,
      };
    },
    plugins,
  });
}
