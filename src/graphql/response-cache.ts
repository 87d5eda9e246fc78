import { createHash } from 'node:crypto';
import { type Cache, createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';
import { SHARE_HEADER } from '../auth/share-access.ts';
import { parseEntityTagList } from '../http/conditional.ts';

const NOT_CACHED = 'not-cached';

/**
 * Anonymous queries, GET or POST (Apollo Client and Relay send POST): results for the admin
 * and for share links' holders are never stored, so never served to anyone else, and they are
 * never answered from what anonymous callers got. Only a GET is cacheable over HTTP too (ETag,
 * 304, `public, no-cache`); a POST is answered from the same memory without validators.
 */
function cacheable(request: Request): boolean {
  return (
    (request.method === 'GET' || request.method === 'POST') && !request.headers.has('authorization') && !request.headers.has(SHARE_HEADER)
  );
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
}

/**
 * Anonymous GET queries answered from memory, with a quoted, strong ETag and 304 on
 * If-None-Match; GET responses say how they may be cached.
 */
export function responseCachePlugins(options: ResponseCacheOptions): Plugin[] {
  const version = () => String(options.databaseVersion());
  const cache = versionedCache(version);
  const keyOf = (operationName: string | null | undefined, documentString: string, variables: unknown) =>
    `"${version()}_${queryHash(operationName, documentString, variables)}"`;
  // The plugin's own onRequest answers 304 to any If-None-Match naming any cached result, whatever
  // the query: a 304 must confirm only what this very request would get, so that hook is replaced.
  const { onRequest: _untiedRevalidation, ...responseCache } = useResponseCache({
    session: () => null,
    enabled: (request) => cacheable(request),
    ttl: options.ttlMs,
    cache,
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
        const hash = hashOfGet(new URL(request.url).searchParams);
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
          response.headers.set('Cache-Control', 'public, no-cache');
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
function hashOfGet(search: URLSearchParams): string | undefined {
  const query = search.get('query');
  if (query === null) return undefined;
  const rawVariables = search.get('variables');
  let variables: unknown;
  try {
    variables = rawVariables === null ? undefined : JSON.parse(rawVariables);
  } catch {
    return undefined;
  }
  return queryHash(search.get('operationName'), query, variables);
}
