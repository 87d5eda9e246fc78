import { createHash } from 'node:crypto';
import { type Cache, createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type Database from 'better-sqlite3';
import type { Plugin } from 'graphql-yoga';

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
  return () => (statement.get() as number[]).join('.');
}

/** The in-memory cache, emptied whenever the database version moves. */
function versionedCache(currentVersion: () => string): Cache {
  let version = currentVersion();
  let inner = createInMemoryCache({ max: 1000 });
  const fresh = (): Cache => {
    const now = currentVersion();
    if (now !== version) {
      version = now;
      inner = createInMemoryCache({ max: 1000 });
    }
    return inner;
  };
  return {
    get: (key) => fresh().get(key),
    set: (...args) => fresh().set(...args),
    invalidate: (...args) => fresh().invalidate(...args),
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
      buildResponseCacheKey: ({ documentString, variableValues, operationName }) =>
        `"${createHash('sha256')
          .update(`${version()}\n${operationName ?? ''}\n${documentString}\n${JSON.stringify(variableValues ?? {})}`)
          .digest('base64url')}"`,
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
