import { createHash } from 'node:crypto';
import { type Cache, createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type Database from 'better-sqlite3';
import type { Plugin } from 'graphql-yoga';

const NOT_CACHED = 'not-cached';

/** Anonymous GET queries only: results for the admin are never stored, so never served to anyone else. */
function cacheable(request: Request): boolean {
  return request.method === 'GET' && !request.headers.has('authorization');
}

/**
 * A token that changes whenever the database does: `data_version` moves on commits by other
 * connections (an import, a worker), `total_changes()` on our own. Cached results and their
 * ETags are only ever valid for one token, so a 304 can never confirm data that has changed.
 */
function databaseVersion(sqlite: Database.Database): () => string {
  const statement = sqlite.prepare('SELECT total_changes(), data_version FROM pragma_data_version').raw();
  return () => (statement.get() as number[]).join('-');
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
  sqlite: Database.Database;
  ttlMs: number;
}

/**
 * Anonymous GET queries answered from memory, with a quoted, strong ETag and 304 on
 * If-None-Match; GET responses say how they may be cached.
 */
export function responseCachePlugins(options: ResponseCacheOptions): Plugin[] {
  const version = databaseVersion(options.sqlite);
  return [
    useResponseCache({
      session: () => null,
      enabled: (request) => cacheable(request),
      ttl: options.ttlMs,
      cache: versionedCache(version),
      // The plugin sends the key as the ETag and looks If-None-Match up as a key: keep it a valid entity tag.
      // The plugin asks for a key on every request; only cacheable ones pay for the hash and the version check.
      buildResponseCacheKey: ({ request, documentString, variableValues, operationName }) =>
        cacheable(request)
          ? `"${version()}_${createHash('sha256')
              .update(`${operationName ?? ''}\n${documentString}\n${JSON.stringify(variableValues ?? {})}`)
              .digest('base64url')}"`
          : NOT_CACHED,
    }),
    {
      onResponse({ request, response }) {
        if (request.method !== 'GET') return;
        if (cacheable(request)) {
          response.headers.set('Cache-Control', 'public, no-cache');
          response.headers.set('Vary', 'Authorization');
        } else {
          response.headers.set('Cache-Control', 'private, no-store');
        }
      },
    },
  ];
}
