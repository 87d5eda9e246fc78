import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { requestError } from './request-errors.ts';
import { sha256Hex } from './trusted-documents.ts';

/** Documents registered: enough for every screen of any client; the least used go first. */
const MAX_DOCUMENTS = 2000;
/** What the registered texts may take in all. */
const MAX_DOCUMENT_CHARS = 8 * 1024 * 1024;

interface PersistedQueryExtension {
  version?: number;
  sha256Hash?: string;
}

function persistedQueryOf(extensions: unknown): PersistedQueryExtension | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const found = (extensions as { persistedQuery?: unknown }).persistedQuery;
  return typeof found === 'object' && found !== null ? (found as PersistedQueryExtension) : undefined;
}

export interface TrustedDocuments {
  /** Only trusted documents run, for everyone but the admin. */
  only: boolean;
  /** By SHA-256 (hex); see loadTrustedDocuments. */
  documents: ReadonlyMap<string, string>;
  /** Whether an Authorization header is the admin's (who may run anything, GraphiQL included). */
  isAdmin: (authorization: string | null) => boolean;
}

const NO_TRUSTED: TrustedDocuments = { only: false, documents: new Map(), isAdmin: () => false };

function notTrusted(): Error {
  return requestError('DOCUMENT_NOT_TRUSTED', 'This server runs only its trusted documents: send one by its sha256Hash', {
    withStatus: true,
  });
}

/**
 * Automatic persisted queries, Apollo's protocol: a client sends only the SHA-256 of its
 * document (`extensions.persistedQuery.sha256Hash`); an unknown hash answers
 * `PersistedQueryNotFound`, the client sends the document once with its hash, and from then on
 * the hash alone works, over GET too (so a CDN or the response cache can keep it). Documents are
 * kept in memory, per process, bounded by bytes, and only once their hash is checked and Yoga
 * has parsed and validated them.
 *
 * Trusted documents (codegen's manifests, the gallery's own) are known by hash from the start;
 * with LIGHTBOX_TRUSTED_DOCUMENTS=only they are all that callers other than the admin may run,
 * by hash or by their exact text, and nothing new is registered.
 */
export class PersistedQueries {
  private readonly documents = new LRUCache<string, string>({
    max: MAX_DOCUMENTS,
    maxSize: MAX_DOCUMENT_CHARS,
    sizeCalculation: (text) => text.length + 1,
  });
  /** A document sent with its hash, registered only once Yoga has parsed and validated it (onExecute). */
  private readonly registering = new WeakMap<Request, { hash: string; query: string }>();

  constructor(private readonly trusted: TrustedDocuments = NO_TRUSTED) {}

  /**
   * The document a request names by hash, for code that needs it before Yoga (the stored
   * answers); with the document sent beside the hash, that document when the hash is its own.
   */
  documentFor(extensions: unknown, sent?: unknown): string | undefined {
    const persisted = persistedQueryOf(extensions);
    // Any other version is refused by the plugin, whatever its hash names.
    const hash = persisted?.version === 1 ? persisted.sha256Hash : undefined;
    if (typeof hash !== 'string') return undefined;
    if (typeof sent === 'string') return sha256Hex(sent) === hash ? sent : undefined;
    return this.trusted.documents.get(hash) ?? (this.trusted.only ? undefined : this.documents.get(hash));
  }

  /** Whether only trusted documents may run for this caller (LIGHTBOX_TRUSTED_DOCUMENTS=only, anyone but the admin). */
  private enforcedFor(authorization: string | null): boolean {
    return this.trusted.only && !this.trusted.isAdmin(authorization);
  }

  private isTrusted(query: string): boolean {
    return this.trusted.documents.has(sha256Hex(query));
  }

  /** Whether a document sent as text, without a hash, may run for this caller. */
  mayRunText(query: string, authorization: string | null): boolean {
    return !this.enforcedFor(authorization) || this.isTrusted(query);
  }

  plugin(): Plugin {
    return {
      onParams: ({ request, params, setParams }) => {
        const authorization = request.headers.get('authorization');
        const enforced = this.enforcedFor(authorization);
        const persisted = persistedQueryOf(params.extensions);
        if (persisted === undefined) {
          if (enforced && (typeof params.query !== 'string' || !this.isTrusted(params.query))) throw notTrusted();
          return;
        }
        const hash = persisted.sha256Hash;
        if (persisted.version !== 1 || typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
          throw requestError('PERSISTED_QUERY_NOT_SUPPORTED', 'Only persisted queries of version 1 with a hex SHA-256 hash are supported', {
            withStatus: true,
          });
        }
        if (typeof params.query === 'string') {
          if (sha256Hex(params.query) !== hash) {
            throw requestError('PERSISTED_QUERY_MISMATCH', 'The sha256Hash is not the SHA-256 of the query sent with it', {
              withStatus: true,
            });
          }
          if (this.trusted.documents.has(hash)) return;
          if (enforced) throw notTrusted();
          this.registering.set(request, { hash, query: params.query });
          return;
        }
        const document = this.trusted.documents.get(hash) ?? (enforced ? undefined : this.documents.get(hash));
        if (document === undefined) {
          if (enforced) throw notTrusted();
          // Apollo's links retry with the whole document on exactly this message.
          throw requestError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
        }
        setParams({ ...params, query: document });
      },
      // Past parsing, validation and the limits: junk or a refused document is never kept.
      onExecute: ({ args }) => {
        const { request } = args.contextValue as { request: Request };
        const registration = this.registering.get(request);
        if (registration !== undefined) this.documents.set(registration.hash, registration.query);
      },
    };
  }
}
