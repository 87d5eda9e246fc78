import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { requestError } from './request-errors.ts';

/** Documents registered: enough for every screen of any client; the least used go first. */
const MAX_DOCUMENTS = 2000;

interface PersistedQueryExtension {
  version?: number;
  sha256Hash?: string;
}

function persistedQueryOf(extensions: unknown): PersistedQueryExtension | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const found = (extensions as { persistedQuery?: unknown }).persistedQuery;
  return typeof found === 'object' && found !== null ? (found as PersistedQueryExtension) : undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Automatic persisted queries, Apollo's protocol: a client sends only the SHA-256 of its
 * document (`extensions.persistedQuery.sha256Hash`); an unknown hash answers
 * `PersistedQueryNotFound`, the client sends the document once with its hash, and from then on
 * the hash alone works, over GET too (so a CDN or the response cache can keep it). Documents are
 * kept in memory, per process, only after their hash is checked.
 */
export class PersistedQueries {
  private readonly documents = new LRUCache<string, string>({ max: MAX_DOCUMENTS });

  /** The document a request names by hash, for code that needs it before Yoga (the response cache's 304). */
  documentFor(extensions: unknown): string | undefined {
    const hash = persistedQueryOf(extensions)?.sha256Hash;
    return typeof hash === 'string' ? this.documents.get(hash) : undefined;
  }

  plugin(): Plugin {
    return {
      onParams: ({ params, setParams }) => {
        const persisted = persistedQueryOf(params.extensions);
        if (persisted === undefined) return;
        const hash = persisted.sha256Hash;
        if (persisted.version !== 1 || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
          throw requestError('PERSISTED_QUERY_NOT_SUPPORTED', 'Only persisted queries of version 1 with a hex SHA-256 hash are supported', {
            withStatus: true,
          });
        }
        if (typeof params.query === 'string') {
          if (sha256(params.query) !== hash) {
            throw requestError('PERSISTED_QUERY_MISMATCH', 'The sha256Hash is not the SHA-256 of the query sent with it', {
              withStatus: true,
            });
          }
          this.documents.set(hash, params.query);
          return;
        }
        const document = this.documents.get(hash);
        // Apollo's links retry with the whole document on exactly this message.
        if (document === undefined) throw requestError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
        setParams({ ...params, query: document });
      },
    };
  }
}
