import { createHash } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Cache, createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { SHARE_HEADER } from '../auth/share-access.ts';
import { parseEntityTagList } from '../http/conditional.ts';
import type { PersistedQueries } from './persisted-queries.ts';

const NOT_CACHED = 'not-cached';

/**
 * Anonymous queries, GET or POST (Apollo Client and Relay send POST): results for the admin
 * and for share links' holders are never stored, so never served to anyone else, and they are
 * never answered from what anonymous callers got. Only a GET is cacheable over HTTP too (ETag,
 * 304, `public, no-cache`); a POST is answered from the same memory without validators.
 */
function cacheableBy(method: string | undefined, has: (name: string) => boolean): boolean {
  return (method === 'GET' || method === 'POST') && !has('authorization') && !has(SHARE_HEADER);
}

function cacheable(request: Request): boolean {
  return cacheableBy(request.method, (name) => request.headers.has(name));
}

/** Keys look like `"<database version>_<hash>"`: each names the version its result belongs to. */
function versionOf(key: string): string {
  return key.slice(1, key.indexOf('_'));
}

/**
 * The in-memory cache, emptied whenever the database version moves. A lookup checks the
 * current version once (a client's If-None-Match may be from any time); storing uses the
 * version already in the key, so a request asks the database at most twice.
 */
function versionedCache(currentVersion: () => string): Cache {
  let version = '';
  let inner = createInMemoryCache({ max: 1000 });
  const at = (now: string): Cache => {
    if (now !== version) {
      version = now;
      inner = createInMemoryCache({ max: 1000 });
    }
    return inner;
  };
  return {
    get: (key) => {
      const now = currentVersion();
      return versionOf(key) === now ? at(now).get(key) : undefined;
    },
    // A write during execution makes the result a past version's: not worth keeping.
    set: (key, ...rest) => (versionOf(key) === version ? inner.set(key, ...rest) : undefined),
    invalidate: (...args) => inner.invalidate(...args),
  };
}

export interface ResponseCacheOptions {
  /** The database version (DatabaseVersion): a cached result is only ever served at the version it was made at. */
  databaseVersion: () => number;
  ttlMs: number;
  /** Whether responses carry `Server-Timing` (LIGHTBOX_SERVER_TIMING). */
  serverTiming: boolean;
  /** Whether cross-origin calls are allowed (LIGHTBOX_CORS_ORIGINS): then every answer varies by Origin, and Yoga gives them all. */
  cors: boolean;
  /** Documents GET requests may name by hash alone. */
  persistedQueries: PersistedQueries;
}

/** What an anonymous, cacheable GET response says about caching; the same from Yoga and from the fast path. */
const PUBLIC_GET_HEADERS = { vary: 'Accept, Authorization, X-Lightbox-Share', cacheControl: 'public, no-cache' };

/**
 * The JSON type a GET's Accept asks for first, when it is one of the two GraphQL answers in
 * JSON; undefined for anything else (GraphiQL's HTML, `*\/*`, no Accept), which Yoga decides.
 */
function jsonTypeFirstAccepted(accept: string | undefined): string | undefined {
  if (accept === undefined) return undefined;
  const first = accept.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  return first === 'application/graphql-response+json' || first === 'application/json' ? first : undefined;
}

/**
 * A stored result as Yoga writes it: without `extensions.http` (the headers it carries), and
 * without `extensions` when nothing else is in it. Stored results never have errors.
 */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (result.extensions?.http === undefined) return result;
  const { http: _headers, ...extensions } = result.extensions;
  return { ...result, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
}

/**
 * The anonymous query cache, GET or POST. Yoga's plugins store and serve results; an
 * anonymous GET whose result is already stored is answered before Yoga (`serveStoredGet`),
 * with the same bytes and headers Yoga would send, for a fraction of the cost.
 */
export class ResponseCache {
  private readonly cache: Cache;
  private readonly version: () => string;
  /** Each stored result's JSON, made once: the result objects are never changed once stored. */
  private readonly bodies = new WeakMap<object, Buffer>();

  constructor(private readonly options: ResponseCacheOptions) {
    this.version = () => String(options.databaseVersion());
    this.cache = versionedCache(this.version);
  }

  plugins(): Plugin[] {
    return responseCachePlugins(this.options, this.cache, this.version);
  }

  /**
   * Answers an anonymous GET from the stored result (200, or 304 on a matching If-None-Match)
   * and says with which status; undefined leaves it to Yoga: a miss, credentials, CORS (Yoga's,
   * with its Vary: Origin), an Accept that is not plain GraphQL JSON, or parameters it does not read.
   */
  serveStoredGet(req: IncomingMessage, res: ServerResponse, search: string): 200 | 304 | undefined {
    if (this.options.cors || req.method !== 'GET' || !cacheableBy(req.method, (name) => req.headers[name] !== undefined)) return undefined;
    const type = jsonTypeFirstAccepted(req.headers.accept);
    if (type === undefined) return undefined;
    const params = new URLSearchParams(search);
    // Extensions other than a persisted query's hash are Yoga's to read.
    if (params.has('extensions') && params.has('query')) return undefined;
    const hash = hashOfGet(params, this.options.persistedQueries);
    if (hash === undefined) return undefined;
    const key = `"${this.version()}_${hash}"`;
    // The in-memory store answers null for a miss.
    const cached = this.cache.get(key) as ExecutionResult | null | undefined;
    if (cached === null || cached === undefined || cached instanceof Promise) return undefined;
    const lastModified = (cached.extensions?.http as { headers?: Record<string, string> } | undefined)?.headers?.['Last-Modified'];
    if (lastModified === undefined) return undefined;
    const headers: OutgoingHttpHeaders = {
      ETag: key,
      'Last-Modified': lastModified,
      Vary: PUBLIC_GET_HEADERS.vary,
      'Cache-Control': PUBLIC_GET_HEADERS.cacheControl,
    };
    if (this.options.serverTiming) headers['Server-Timing'] = 'sql;desc="0";dur=0.00';
    const ifNoneMatch = req.headers['if-none-match'];
    const tags = ifNoneMatch === undefined ? [] : parseEntityTagList(ifNoneMatch);
    if (tags !== '*' && tags.some((tag) => tag.opaque === key)) {
      res.writeHead(304, headers);
      res.end();
      return 304;
    }
    let body = this.bodies.get(cached);
    if (body === undefined) {
      body = Buffer.from(JSON.stringify(withoutInternals(cached)));
      this.bodies.set(cached, body);
    }
    headers['Content-Type'] = `${type}; charset=utf-8`;
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    res.end(body);
    return 200;
  }
}

/**
 * Anonymous GET queries answered from memory, with a quoted, strong ETag and 304 on
 * If-None-Match; GET responses say how they may be cached.
 */
function responseCachePlugins(options: ResponseCacheOptions, cache: Cache, version: () => string): Plugin[] {
  const keyOf = (operationName: string | null | undefined, documentString: string, variables: unknown) =>
    `"${version()}_${queryHash(operationName, documentString, variables)}"`;
  // The plugin's own onRequest answers 304 to any If-None-Match naming any cached result, whatever
  // the query: a 304 must confirm only what this very request would get, so that hook is replaced.
  const { onRequest: _untiedRevalidation, ...responseCache } = useResponseCache({
    session: () => null,
    enabled: (request) => cacheable(request),
    ttl: options.ttlMs,
    cache,
    // What a hit serves is exactly what was stored, in every environment (the fast path sends the same bytes).
    includeExtensionMetadata: false,
    // The plugin sends the key as the ETag: keep it a valid entity tag.
    // The plugin asks for a key on every request; only cacheable ones pay for the hash and the version check.
    buildResponseCacheKey: ({ request, documentString, variableValues, operationName }) =>
      cacheable(request) ? keyOf(operationName, documentString, variableValues) : NOT_CACHED,
  });
  return [
    responseCache,
    {
      onRequest({ request, fetchAPI, endResponse }) {
        const ifNoneMatch = request.headers.get('if-none-match');
        if (ifNoneMatch === null || request.method !== 'GET' || !cacheable(request)) return;
        // Tied by the query's own hash; the cache lookup then checks the database version, once.
        const hash = hashOfGet(new URL(request.url).searchParams, options.persistedQueries);
        const tags = hash === undefined ? [] : parseEntityTagList(ifNoneMatch);
        const key = tags === '*' ? undefined : tags.find((tag) => tag.opaque.endsWith(`_${hash}"`))?.opaque;
        if (key === undefined) return;
        return Promise.resolve(cache.get(key)).then((cached) => {
          const lastModified = cached?.extensions?.http?.headers?.['Last-Modified'];
          if (cached === undefined || lastModified === undefined) return;
          endResponse(new fetchAPI.Response(null, { status: 304, headers: { ETag: key, 'Last-Modified': String(lastModified) } }));
        });
      },
    },
    {
      onResponse({ request, response }) {
        if (request.method === 'POST') {
          // Not cacheable over HTTP, whatever was cached in memory: no validators to revalidate with.
          response.headers.delete('ETag');
          response.headers.delete('Last-Modified');
          return;
        }
        if (request.method !== 'GET') return;
        // A GET answers JSON, graphql-response+json or GraphiQL's page depending on Accept.
        response.headers.append('Vary', 'Accept');
        if (cacheable(request)) {
          response.headers.set('Cache-Control', PUBLIC_GET_HEADERS.cacheControl);
          response.headers.append('Vary', 'Authorization, X-Lightbox-Share');
        } else {
          response.headers.set('Cache-Control', 'private, no-store');
        }
      },
    },
  ];
}

function queryHash(operationName: string | null | undefined, documentString: string, variables: unknown): string {
  return createHash('sha256')
    .update(`${operationName ?? ''}\n${documentString}\n${JSON.stringify(variables ?? {})}`)
    .digest('base64url');
}

/** The query hash a GET request's own parameters give; undefined when they cannot be read as Yoga reads them. */
function hashOfGet(search: URLSearchParams, persisted: PersistedQueries): string | undefined {
  let query = search.get('query');
  const rawVariables = search.get('variables');
  const rawExtensions = search.get('extensions');
  let variables: unknown;
  try {
    variables = rawVariables === null ? undefined : JSON.parse(rawVariables);
    // A persisted query names its document by hash: the document is what the result was stored under.
    if (query === null && rawExtensions !== null) query = persisted.documentFor(JSON.parse(rawExtensions)) ?? null;
  } catch {
    return undefined;
  }
  if (query === null) return undefined;
  return queryHash(search.get('operationName'), query, variables);
}
