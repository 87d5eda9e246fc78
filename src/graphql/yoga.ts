import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Db } from '../db/client.ts';
import { currentSqlUsage } from '../db/sql-meter.ts';
import type { Logger } from '../log.ts';
import type { GraphQLContext } from './context.ts';
import { GRAPHIQL_DEFAULT_QUERY } from './default-query.ts';
import { schema } from './schema.ts';

export interface YogaOptions {
  db: Db;
  logger: Logger;
  graphiql: boolean;
  serverTiming: boolean;
}

interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
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
  const plugins: Plugin[] = [requestLogPlugin(options.logger)];
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
    context: () => ({ db: options.db }),
    plugins,
  });
}
