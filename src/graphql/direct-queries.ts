import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import type { ViewerCheck } from '../auth/viewer.ts';
import type { ShareAccess } from '../catalog/share-access.ts';
import { newSqlUsage, sqlServerTiming } from '../db/sql-meter.ts';
import { requestHeader } from '../http/request-header.ts';
import type { Logger } from '../log.ts';
import { MAX_PAGE_SIZE } from './builder.ts';
import { type CallerIdentity, callerIdentity } from './caller-identity.ts';
import type { GraphQLContext, RequestIdentity } from './context.ts';
import type { DocumentMemory } from './document-memory.ts';
import { pageSizeErrors } from './page-size.ts';
import type { PersistedQueries } from './persisted-queries.ts';
import { extensionsAsk, type JsonPostBody, type RequestParams } from './request-params.ts';
import { jsonTypeFirstAccepted, POST_CACHE_CONTROL, type ResponseCache } from './response-cache.ts';

/** A query never reads its context's signal (only mutations stop work when the client goes), so none is made per request. */
const NEVER_ABORTED = new AbortController().signal;

export interface DirectQueriesOptions {
  schema: GraphQLSchema;
  /** Where the documents Yoga accepted, and their compiled queries, are kept. */
  documents: DocumentMemory;
  viewers: ViewerCheck;
  shares: ShareAccess;
  contexts: (identity: RequestIdentity) => GraphQLContext;
  responseCache: ResponseCache;
  persistedQueries: PersistedQueries;
  logger: Logger;
  /** Whether responses carry `Server-Timing` (LIGHTBOX_SERVER_TIMING). */
  serverTiming: boolean;
  /** Whether cross-origin calls are allowed: then Yoga answers everything, with its CORS headers. */
  cors: boolean;
}

/** Hands a request on to Yoga, with its caller when it was identified here (a share link's use is counted once). */
export type ToYoga = (identity?: CallerIdentity) => void;

/** What a request asks, once it is known to be a query whose document Yoga accepted. */
interface Plan {
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** As sent: what the response cache's key is made from, the same as Yoga's. */
  params: RequestParams;
  compiled: CompiledQuery;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

/**
 * Query POSTs (what Apollo Client, Relay and urql send) executed without Yoga's fetch-API
 * pipeline, which costs a gallery page about a fifth of its CPU in Request and Response objects,
 * header maps, and a chain of plugin hooks that have nothing to do for a clean query.
 *
 * Only what Yoga would answer the same way is taken: a JSON POST with a JSON Accept, no CORS,
 * and a document Yoga itself parsed, validated and limit-checked before (DocumentMemory, by
 * its exact text: validation depends on nothing else). The checks that depend on the request
 * are made here as Yoga's plugins make them, through the same functions: the caller, trusted
 * documents, page sizes with the variables applied. Execution is the same compiled query with
 * the same context. Anything else goes to Yoga untouched: other parameters, a persisted query's
 * hash, a mutation, an unknown document, a refused caller, and every result with an error,
 * which Yoga executes again and reports as it always does. Answers are byte for byte and header
 * for header Yoga's (a test compares them), and an anonymous one is kept in the response cache.
 */
export class DirectQueries {
  constructor(private readonly options: DirectQueriesOptions) {}

  /** Whether a request may be read before Yoga, by its headers alone (the rest streams to Yoga untouched). */
  mayAnswer(req: IncomingMessage): boolean {
    return (
      req.method === 'POST' &&
      !this.options.cors &&
      /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '') &&
      jsonTypeFirstAccepted(req.headers.accept) !== undefined
    );
  }

  /** The request as a query Yoga accepted before, or undefined when it is Yoga's to read. */
  private planOf(req: IncomingMessage, body: JsonPostBody): Plan | undefined {
    const params = body.params();
    // A persisted query's hash is Yoga's to read.
    if (params === undefined || extensionsAsk(params.extensions) !== 'nothing') return undefined;
    const { query, operationName, variables } = params;
    if (typeof query !== 'string' || (operationName != null && typeof operationName !== 'string')) return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    const document = this.options.documents.acceptedDocument(query);
    if (document === undefined) return undefined;
    const compiled = this.options.documents.compiledQueryFor(document, operationName);
    if (compiled === null || !this.options.persistedQueries.mayRunText(query, requestHeader(req, 'authorization') ?? null))
      return undefined;
    const sent = (variables ?? {}) as Record<string, unknown>;
    if (pageSizeErrors(this.options.schema, document, operationName, sent, MAX_PAGE_SIZE).length > 0) return undefined;
    return { operationName: operationName ?? undefined, variables: sent, params, compiled };
  }

  /** Answers a JSON POST that `mayAnswer` let be read, or hands it to Yoga. */
  answer(req: IncomingMessage, res: ServerResponse, body: JsonPostBody, toYoga: ToYoga): void {
    const plan = this.planOf(req, body);
    if (plan === undefined) {
      toYoga();
      return;
    }
    const started = performance.now();
    const sqlUsage = newSqlUsage();
    let identity: CallerIdentity;
    try {
      identity = callerIdentity(this.options.viewers, this.options.shares, (name) => requestHeader(req, name) ?? null, sqlUsage);
    } catch {
      // Refused credentials: Yoga answers the refusal.
      toYoga();
      return;
    }
    const { responseCache } = this.options;
    // Read before executing: the result belongs to the version it was read at.
    const key = responseCache.keyForStoring(req, plan.params);
    const context = this.options.contexts({
      ...identity,
      signal: NEVER_ABORTED,
      clientAddress: req.socket.remoteAddress ?? '',
      sqlUsage,
    });
    const finish = (result: ExecutionResult) => {
      if ((result.errors?.length ?? 0) > 0 || result.extensions !== undefined) {
        toYoga(identity);
        return;
      }
      const bytes = Buffer.from(JSON.stringify(result));
      if (key !== undefined) responseCache.store(key, bytes);
      const headers: OutgoingHttpHeaders = {
        'content-type': `${jsonTypeFirstAccepted(req.headers.accept)}; charset=utf-8`,
        'content-length': bytes.length,
        'cache-control': POST_CACHE_CONTROL,
        'x-content-type-options': 'nosniff',
      };
      if (this.options.serverTiming) headers['server-timing'] = sqlServerTiming(sqlUsage);
      res.writeHead(200, headers);
      res.end(bytes);
      this.options.logger.info(
        {
          method: 'POST',
          operation: plan.operationName,
          status: 200,
          ms: Number((performance.now() - started).toFixed(2)),
          sqlStatements: sqlUsage.statements,
          answered: 'direct',
        },
        'graphql request',
      );
    };
    // A resolver's failure is in the result's errors; anything thrown past them is a bug Yoga reports masked.
    const failed = () => {
      if (!res.headersSent) toYoga(identity);
    };
    let outcome: ExecutionResult | Promise<ExecutionResult>;
    try {
      outcome = plan.compiled.query(undefined, context, plan.variables);
    } catch {
      failed();
      return;
    }
    if (isPromise(outcome)) outcome.then(finish).catch(failed);
    else finish(outcome);
  }
}
