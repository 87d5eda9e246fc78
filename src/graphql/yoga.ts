import type { IncomingMessage } from 'node:http';
import { getOperationAST } from 'graphql';
import type { GraphiQLRenderer, Plugin } from 'graphql-yoga';
import { createYoga } from 'graphql-yoga';
import type { ViewerCheck } from '../auth/viewer.ts';
import type { GraphQLConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { StagedUpload } from '../processing/staged-upload.ts';
import type { SqlUsage } from '../sql-meter.ts';
import type { CallerIdentity } from './caller-identity.ts';
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
import { schema } from './schema.ts';

export interface YogaOptions {
  logger: Logger;
  viewers: ViewerCheck;
  graphql: GraphQLConfig;
  /** Each request's context, once its credentials are read (the share page builds its own the same way). */
  contexts: (identity: RequestIdentity) => GraphQLContext;
  persistedQueries: PersistedQueries;
  /** Parsed documents and their compiled queries (which the GraphQL route then runs without Yoga). */
  documents: DocumentMemory;
  /** GraphiQL's page and the plugin giving it its headers (the http layer's). */
  graphiqlPage: { render: GraphiQLRenderer; plugin: Plugin };
}

/** The caller, identified by the route at most once: a refusal (or a failure to identify) is the error to answer. */
export type IdentityOnce = () => CallerIdentity | Error;

/** What the route learns of how Yoga executed a request: whether its answer may be stored. */
export interface YogaOutcome {
  /** A query operation was executed (not a mutation, not refused before execution). */
  query: boolean;
  errors: number;
  operation: string | undefined;
}

/** What the GraphQL route hands Yoga with each request. */
interface EngineContext {
  req: IncomingMessage;
  identity: IdentityOnce;
  /** Files of a multipart request, staged in its admit stage. */
  uploads?: Map<string, StagedUpload>;
  /** The request's SQL tally. */
  sqlUsage: SqlUsage;
  /** The database version at the request's start: a query is answered as of it (a mutation reads afresh). */
  version: number;
  outcome: YogaOutcome;
}

/** Tells the route whether what Yoga executed was a query, and whether it had errors. */
function outcomePlugin(): Plugin {
  return {
    onExecute({ args }) {
      const { outcome } = args.contextValue as unknown as EngineContext;
      const operation = getOperationAST(args.document, args.operationName);
      outcome.query = operation?.operation === 'query';
      outcome.operation = operation?.name?.value ?? args.operationName ?? undefined;
      return {
        onExecuteDone({ result }) {
          outcome.errors = Symbol.asyncIterator in result ? 1 : (result.errors?.length ?? 0);
        },
      };
    },
  };
}

/** Yoga, the GraphQL engine: the route hands it every request it does not answer itself. */
export type GraphQLEngine = ReturnType<typeof createGraphQLEngine>;

export function createGraphQLEngine(options: YogaOptions) {
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
      documents: options.documents,
    }),
    outcomePlugin(),
    varyOnOriginPlugin(graphql),
    options.graphiqlPage.plugin,
    idErrorsPlugin(),
    compiledExecutionPlugin(options.documents),
  ];
  return createYoga<EngineContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Every body Yoga reads is bounded before it gets here (graphql-route.ts: Content-Length required and
    // at most MAX_GRAPHQL_BODY_BYTES; the upload route's operations field): Yoga's own limit would
    // pipe each body through a counting stream for nothing.
    maxRequestBodySize: false,
    parserAndValidationCache: options.documents.yogaCaches(),
    maskedErrors: { maskError: maskUnexpectedErrors },
    cors: corsOptions(graphql),
    graphiql: graphql.graphiql ? { defaultQuery: GRAPHIQL_DEFAULT_QUERY, title: 'Lightbox GraphiQL' } : false,
    renderGraphiQL: options.graphiqlPage.render,
    logging: {
      debug: (...args) => options.logger.debug(args.map(String).join(' ')),
      info: (...args) => options.logger.info(args.map(String).join(' ')),
      warn: (...args) => options.logger.warn(args.map(String).join(' ')),
      error: (...args) => options.logger.error(args.map((arg) => (arg instanceof Error ? arg.stack : String(arg))).join(' ')),
    },
    context: ({ request, params, req, uploads, sqlUsage, identity, version }) => {
      const caller = identity();
      if (caller instanceof Error) throw caller;
      const { viewer, share } = caller;
      // Parsed and validated by now: a mutation must read its own writes, so only a query reads as of the request's start.
      const query = options.documents.operationKind(params.query, params.operationName) === 'query';
      return contexts({
        viewer,
        share,
        signal: request.signal,
        clientAddress: req.socket.remoteAddress ?? '',
        uploads,
        sqlUsage,
        version: query ? version : undefined,
      });
    },
    plugins,
  });
}
