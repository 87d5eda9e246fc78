import { createHash } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type DocumentNode, type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { SHARE_HEADER } from '../catalog/share-access.ts';
import { parseEntityTagList } from '../http/conditional.ts';
import type { PersistedQueries } from './persisted-queries.ts';
import { extensionsAsk, type JsonPostBody, paramsOfQueryString, type RequestParams } from './request-params.ts';

/** Results kept per database version; a new version starts the cache over. */
const MAX_RESULTS = 1000;
/** What the kept results' bytes may take in all. */
const MAX_RESULT_BYTES = 64 * 1024 * 1024;
/** Longest query string or body whose key is remembered by its exact text (a page's query is a few KB). */
const MAX_REMEMBERED_REQUEST_CHARS = 16 * 1024;
/** What the remembered texts may take in all, GET and POST each; past it they are forgotten and learnt again. */
const MAX_REMEMBERED_CHARS = 4 * 1024 * 1024;

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

/** `cacheable` for a request still in node:http's form, before Yoga. */
function cacheableIncoming(req: IncomingMessage): boolean {
  return cacheableBy(req.method, (name) => req.headers[name] !== undefined);
}

/** Keys look like `"<database version>_<hash>"`: a quoted, strong entity tag naming the version its result belongs to. */
function versionOf(key: string): string {
  return key.slice(1, key.indexOf('_'));
}

function queryHash(operationName: string | null | undefined, documentString: string, variables: unknown): string {
  return createHash('sha256')
    .update(`${operationName ?? ''}\n${documentString}\n${JSON.stringify(variables ?? {})}`)
    .digest('base64url');
}

/**
 * A result is kept as its JSON's bytes, not as the object it was written from: a page's result
 * is thousands of small objects, and a thousand of them kept would be copied and walked by
 * every collection; bytes live outside the collected heap, and are what an answer sends.
 */
interface StoredResult {
  body: Buffer;
  /**
   * The entity tag of GETs answered from it: of the query and the bytes, not of the database
   * version, so a write the caller cannot see (a private album made, a share link viewed) moves
   * nothing they can see. No Last-Modified either: the time a result was stored is the time of
   * the last write anywhere.
   */
  readonly etag: string;
  expiresAt: number;
}

/** Its entity tag is hashed when a GET first needs it: most answers stored are POSTs' (measured: hashing every 63 KB page cost the uncached anonymous page about a tenth). */
class StoredAnswer implements StoredResult {
  private tag: string | undefined;

  constructor(
    readonly body: Buffer,
    /** The key's hash of operation, document and variables (without the version). */
    private readonly request: string,
    readonly expiresAt: number,
  ) {}

  get etag(): string {
    this.tag ??= `"${createHash('sha256').update(this.request).update(this.body).digest('base64url').slice(0, 32)}"`;
    return this.tag;
  }
}

export interface ResponseCacheOptions {
  /** The database version (DatabaseVersion): a cached result is only ever served at the version it was stored under. */
  databaseVersion: () => number;
  ttlMs: number;
  /** Whether responses carry `Server-Timing` (LIGHTBOX_SERVER_TIMING). */
  serverTiming: boolean;
  /** Whether cross-origin calls are allowed (LIGHTBOX_CORS_ORIGINS): then every answer varies by Origin, and Yoga gives them all. */
  cors: boolean;
  /** Documents requests may name by hash alone. */
  persistedQueries: PersistedQueries;
}

/** What every POST answer says about caching, whoever asked: never kept by an HTTP cache (only a GET is cacheable). */
export const POST_CACHE_CONTROL = 'private, no-store';

/** What an anonymous, cacheable GET response says about caching; the same from Yoga and from the fast path. */
const PUBLIC_GET_HEADERS = { vary: 'Accept, Authorization, X-Lightbox-Share', cacheControl: 'public, no-cache' };

/**
 * The JSON type Yoga answers for an Accept: the first it asks for, when that is one of the two
 * GraphQL answers in JSON; application/json when any type will do (no Accept, or exactly
 * `*\/*`); undefined for anything else (GraphiQL's HTML, lists Yoga weighs), which Yoga decides.
 */
export function jsonTypeFirstAccepted(accept: string | undefined): string | undefined {
  if (accept === undefined || accept.trim() === '*/*') return 'application/json';
  const first = accept.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  return first === 'application/graphql-response+json' || first === 'application/json' ? first : undefined;
}

/** The result, answered by Yoga as `json` (Yoga writes a result with its `stringify` when it has one). */
function writtenAs(result: ExecutionResult, json: string): ExecutionResult {
  return Object.assign(result, { stringify: () => json });
}

function newResults(): LRUCache<string, StoredResult> {
  return new LRUCache<string, StoredResult>({
    max: MAX_RESULTS,
    maxSize: MAX_RESULT_BYTES,
    sizeCalculation: (stored) => stored.body.length + 1,
  });
}

/** Stored results carry no `extensions.http`; Yoga would drop it, and so does the fast path. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (result.extensions?.http === undefined) return result;
  const { http: _headers, ...extensions } = result.extensions;
  return { ...result, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
}

/**
 * Whether If-None-Match names this result's key. `*` does not: it would confirm whatever the
 * request now gets, and a 304 confirms only the very result it names.
 */
function namesKey(ifNoneMatch: string, key: string): boolean {
  // Named for what it is compared with: a stored result's entity tag.
  const tags = parseEntityTagList(ifNoneMatch);
  return tags !== '*' && tags.some((tag) => tag.opaque === key);
}

function isQuery(document: DocumentNode, operationName: string | null | undefined): boolean {
  return getOperationAST(document, operationName)?.operation === 'query';
}

/**
 * The anonymous query cache, GET or POST. Results are stored by database version, document
 * and variables, with their JSON, so a hit costs a hash and a write. Yoga's plugins store and
 * serve them; an anonymous request whose result is already stored is answered before Yoga
 * (`serveStored`), with the same bytes and headers Yoga would send.
 */
export class ResponseCache {
  private version = '';
  private results = newResults();
  /**
   * The key each exact query string (GET) or body (POST) was answered under at this version: a
   * request repeated byte for byte is looked up without parsing or hashing it again.
   */
  private requestKeys = { GET: new Map<string, string>(), POST: new Map<string, string>() };
  private rememberedChars = { GET: 0, POST: 0 };
  /** The key a POST's parameters gave when a lookup missed: the same request's result is stored under it (keyForStoring). */
  private readonly missedKeys = new WeakMap<RequestParams, string>();
  /** Which stored result each Yoga request was answered from (`hit`) or stored as, for its response headers. */
  private readonly answered = new WeakMap<Request, { key: string; stored: StoredResult; hit: boolean }>();

  constructor(private readonly options: ResponseCacheOptions) {}

  private currentVersion(): string {
    const now = String(this.options.databaseVersion());
    if (now !== this.version) {
      this.version = now;
      this.results = newResults();
      this.requestKeys = { GET: new Map(), POST: new Map() };
      this.rememberedChars = { GET: 0, POST: 0 };
    }
    return now;
  }

  private keyOf(operationName: unknown, query: string, variables: unknown): string {
    return `"${this.currentVersion()}_${queryHash(typeof operationName === 'string' ? operationName : undefined, query, variables)}"`;
  }

  /** The result stored under the key, if it is of the current version and not past its time. */
  private lookup(key: string): StoredResult | undefined {
    if (versionOf(key) !== this.currentVersion()) return undefined;
    const stored = this.results.get(key);
    if (stored === undefined || stored.expiresAt <= Date.now()) return undefined;
    return stored;
  }

  /** Keeps the JSON bytes answered for a request under its key (from `keyForStoring` when executed outside Yoga). */
  store(key: string, body: Buffer): StoredResult | undefined {
    // A write during execution makes the result a past version's: not worth keeping.
    if (versionOf(key) !== this.currentVersion()) return undefined;
    const now = Date.now();
    const stored = new StoredAnswer(body, key.slice(key.indexOf('_') + 1, -1), now + this.options.ttlMs);
    this.results.set(key, stored);
    return stored;
  }

  /** The key a request's parameters give before Yoga reads them; undefined when they cannot be read as Yoga reads them. */
  private keyOfParams(params: RequestParams): string | undefined {
    // Parameters of the wrong type are Yoga's to refuse, whatever is stored.
    const { operationName, variables } = params;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    let { query } = params;
    const asked = extensionsAsk(params.extensions);
    if (asked === 'refusal') return undefined;
    if (asked === 'persisted-query') {
      // A hash alone names its document, which is what the result was stored under; a hash beside
      // a document is Yoga's to check.
      if (query !== undefined) return undefined;
      query = this.options.persistedQueries.documentFor(params.extensions);
    }
    if (typeof query !== 'string') return undefined;
    return this.keyOf(params.operationName, query, params.variables);
  }

  /**
   * Answers an anonymous request from its stored result (200, or 304 for a GET whose
   * If-None-Match names it) and says with which status; undefined leaves it to Yoga: a miss,
   * credentials, CORS (Yoga's, with its Vary: Origin), an Accept that is not plain GraphQL
   * JSON, or parameters it does not read. `text` is the GET's query string or the POST's body,
   * read by `paramsOf` unless the same text was answered at this version before.
   */
  private serveStored(
    req: IncomingMessage,
    res: ServerResponse,
    method: 'GET' | 'POST',
    text: string,
    paramsOf: (text: string) => RequestParams | undefined,
  ): 200 | 304 | undefined {
    if (this.options.cors || !cacheableIncoming(req)) return undefined;
    const type = jsonTypeFirstAccepted(req.headers.accept);
    if (type === undefined) return undefined;
    // Read first: a new version empties what was remembered.
    this.currentVersion();
    const remembered = this.requestKeys[method].get(text);
    let key = remembered;
    const params = key === undefined ? paramsOf(text) : undefined;
    if (params !== undefined) key = this.keyOfParams(params);
    const stored = key === undefined ? undefined : this.lookup(key);
    if (key === undefined || stored === undefined) {
      if (params !== undefined && key !== undefined) this.missedKeys.set(params, key);
      return undefined;
    }
    if (remembered !== key && text.length <= MAX_REMEMBERED_REQUEST_CHARS) {
      const keys = this.requestKeys[method];
      if (keys.size >= MAX_RESULTS || this.rememberedChars[method] + text.length > MAX_REMEMBERED_CHARS) {
        keys.clear();
        this.rememberedChars[method] = 0;
      }
      keys.set(text, key);
      this.rememberedChars[method] += text.length;
    }
    const headers: OutgoingHttpHeaders = {};
    if (req.method === 'GET') {
      headers.ETag = stored.etag;
      headers.Vary = PUBLIC_GET_HEADERS.vary;
      headers['Cache-Control'] = PUBLIC_GET_HEADERS.cacheControl;
    } else headers['Cache-Control'] = POST_CACHE_CONTROL;
    headers['X-Content-Type-Options'] = 'nosniff';
    if (this.options.serverTiming) headers['Server-Timing'] = 'cache;desc="hit", sql;desc="0";dur=0.00';
    const ifNoneMatch = req.method === 'GET' ? req.headers['if-none-match'] : undefined;
    if (ifNoneMatch !== undefined && namesKey(ifNoneMatch, stored.etag)) {
      res.writeHead(304, headers);
      res.end();
      return 304;
    }
    headers['Content-Type'] = `${type}; charset=utf-8`;
    headers['Content-Length'] = stored.body.length;
    res.writeHead(200, headers);
    res.end(stored.body);
    return 200;
  }

  /** `serveStored` for a GET's query string. */
  serveStoredGet(req: IncomingMessage, res: ServerResponse, search: string): 200 | 304 | undefined {
    if (req.method !== 'GET') return undefined;
    return this.serveStored(req, res, 'GET', search, (text) => paramsOfQueryString(new URLSearchParams(text)));
  }

  /** `serveStored` for a POST's JSON body (one that `DirectQueries.mayAnswer` let be read before Yoga). */
  serveStoredPost(req: IncomingMessage, res: ServerResponse, body: JsonPostBody): 200 | undefined {
    return this.serveStored(req, res, 'POST', body.text, () => body.params()) as 200 | undefined;
  }

  /**
   * The key an executed POST's result is kept under, read before it executes (the version it
   * belongs to); undefined for callers whose results are never stored. For DirectQueries,
   * which executes outside Yoga and keeps what it answers as Yoga's plugin does.
   */
  keyForStoring(req: IncomingMessage, params: RequestParams): string | undefined {
    if (!cacheableIncoming(req)) return undefined;
    const missed = this.missedKeys.get(params);
    // Hashed once: the lookup that missed a moment ago made this very key, if the version has not moved since.
    return missed !== undefined && versionOf(missed) === this.currentVersion() ? missed : this.keyOfParams(params);
  }

  /** Stores and serves results inside Yoga, and gives GET responses their validators and caching headers. */
  plugins(): Plugin[] {
    return [
      {
        onExecute: ({ args, setResultAndStopExecution }) => {
          const { request, params } = args.contextValue as { request: Request; params: RequestParams };
          if (!cacheable(request) || !isQuery(args.document, args.operationName)) return;
          // Yoga has read the parameters already (a persisted query's hash is its document by now).
          if (typeof params.query !== 'string') return;
          const key = this.keyOf(params.operationName, params.query, params.variables);
          const hit = this.lookup(key);
          if (hit !== undefined) {
            this.answered.set(request, { key, stored: hit, hit: true });
            const json = hit.body.toString('utf8');
            setResultAndStopExecution(writtenAs(JSON.parse(json) as ExecutionResult, json));
            return;
          }
          return {
            onExecuteDone: ({ result, setResult }) => {
              if (Symbol.asyncIterator in result || (result.errors?.length ?? 0) > 0) return;
              // Written once, here: Yoga answers with the same text (see writtenAs).
              const json = JSON.stringify(withoutInternals(result));
              setResult(writtenAs(result, json));
              const stored = this.store(key, Buffer.from(json));
              if (stored !== undefined) this.answered.set(request, { key, stored, hit: false });
            },
          };
        },
        // A 304 confirms only what this very request would get: tied by its own key, checked against the current version.
        onRequest: ({ request, endResponse, fetchAPI }) => {
          const ifNoneMatch = request.headers.get('if-none-match');
          if (ifNoneMatch === null || request.method !== 'GET' || !cacheable(request)) return;
          const params = paramsOfQueryString(new URL(request.url).searchParams);
          const key = params === undefined ? undefined : this.keyOfParams(params);
          const stored = key === undefined ? undefined : this.lookup(key);
          if (stored === undefined || !namesKey(ifNoneMatch, stored.etag)) return;
          endResponse(new fetchAPI.Response(null, { status: 304, headers: { ETag: stored.etag } }));
        },
        // Executed afresh (the first request after a write) and still what the client holds: a 304 all the same.
        onResultProcess: ({ request, setResultProcessor }) => {
          const ifNoneMatch = request.headers.get('if-none-match');
          const answered = ifNoneMatch === null || request.method !== 'GET' ? undefined : this.answered.get(request);
          if (ifNoneMatch === null || answered === undefined || !namesKey(ifNoneMatch, answered.stored.etag)) return;
          const etag = answered.stored.etag;
          setResultProcessor(
            (_result, fetchAPI) => new fetchAPI.Response(null, { status: 304, headers: { ETag: etag } }),
            'application/json',
          );
        },
        onResponse: ({ request, response }) => {
          const answered = this.answered.get(request);
          if (this.options.serverTiming && answered?.hit) response.headers.append('Server-Timing', 'cache;desc="hit"');
          if (!response.headers.has('X-Content-Type-Options')) response.headers.set('X-Content-Type-Options', 'nosniff');
          if (request.method !== 'GET') {
            response.headers.set('Cache-Control', POST_CACHE_CONTROL);
            return;
          }
          // A GET answers JSON, graphql-response+json or GraphiQL's page depending on Accept.
          response.headers.append('Vary', 'Accept');
          if (!cacheable(request)) {
            response.headers.set('Cache-Control', 'private, no-store');
            return;
          }
          response.headers.set('Cache-Control', PUBLIC_GET_HEADERS.cacheControl);
          response.headers.append('Vary', 'Authorization, X-Lightbox-Share');
          if (answered !== undefined && (response.status === 200 || response.status === 304)) {
            response.headers.set('ETag', answered.stored.etag);
          }
        },
      },
    ];
  }
}
