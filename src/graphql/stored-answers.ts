import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { PersistedQueries } from './persisted-queries.ts';
import { extensionsAsk, onlyKnownParameters, type RequestParams } from './request-params.ts';

/** Answers kept at one database version; a new version starts over. */
const MAX_ANSWERS = 1000;
/** What the kept answers' bytes may take in all. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** Longest GET query string or POST body whose key is remembered by its exact text (a page's query is a few KB). */
const MAX_REMEMBERED_TEXT_CHARS = 16 * 1024;
/** What the remembered texts may take in all; past it they are forgotten and learnt again. */
const MAX_REMEMBERED_CHARS = 4 * 1024 * 1024;

/**
 * An anonymous query's answer, kept as the JSON bytes sent, not as the object they were written
 * from: a page's result is thousands of small objects, and a thousand of them kept would be
 * walked by every collection.
 */
export class StoredAnswer {
  private tag: string | undefined;

  constructor(
    readonly body: Buffer,
    /** The key's hash of operation, document and variables. */
    private readonly request: string,
    readonly expiresAt: number,
  ) {}

  /**
   * The entity tag of GETs answered with it: of the query and the bytes, not of the database
   * version, so a write the caller cannot see (a private album made, a share link viewed) moves
   * nothing they can see. Hashed when a GET first needs it: most answers stored are POSTs'
   * (hashing every 63 KB page cost the uncached anonymous page about a tenth).
   */
  get etag(): string {
    this.tag ??= `"${createHash('sha256').update(this.request).update(this.body).digest('base64url').slice(0, 32)}"`;
    return this.tag;
  }
}

/** Where an answer is, or would be, kept: the version it belongs to and the hash of what was asked. */
export interface AnswerKey {
  readonly version: number;
  readonly hash: string;
}

function queryHash(operationName: unknown, query: string, variables: unknown): string {
  return createHash('sha256')
    .update(`${typeof operationName === 'string' ? operationName : ''}\n${query}\n${JSON.stringify(variables ?? {})}`)
    .digest('base64url');
}

/**
 * Anonymous query answers, by database version, document and variables, so a repeat costs a
 * lookup and a write. Only the GraphQL route decides who may be answered from here (anonymous
 * callers only: the admin's and a share link holder's answers are never kept, so never served to
 * anyone else); this is the memory alone. Stale when the database version moves (any commit, by
 * any process) or after `ttlMs`.
 */
export class StoredAnswers {
  private version = -1;
  private answers = newAnswers();
  /** The key each exact GET query string or POST body was looked up under at this version: a repeat is not parsed or hashed again. */
  private texts = { GET: new Map<string, AnswerKey>(), POST: new Map<string, AnswerKey>() };
  private textChars = 0;

  constructor(
    private readonly persistedQueries: PersistedQueries,
    private readonly ttlMs: number,
  ) {}

  /** Whether `version` is the one kept: a newer one starts over; an older one (a request that began before a commit) finds and keeps nothing. */
  private at(version: number): boolean {
    if (version < this.version) return false;
    if (version === this.version) return true;
    this.version = version;
    this.answers = newAnswers();
    this.texts = { GET: new Map(), POST: new Map() };
    this.textChars = 0;
    return true;
  }

  /** The key a request's exact text was given at this version, if it was looked up before. */
  keyOfText(version: number, method: string, text: string): AnswerKey | undefined {
    return this.at(version) ? this.textsOf(method)?.get(text) : undefined;
  }

  private textsOf(method: string): Map<string, AnswerKey> | undefined {
    return method === 'GET' ? this.texts.GET : method === 'POST' ? this.texts.POST : undefined;
  }

  /**
   * The key a request's parameters give, as Yoga reads them; undefined when they cannot be read
   * that way (Yoga's to refuse) or name a persisted query not known here.
   */
  keyOf(version: number, params: RequestParams, method: string, text: string): AnswerKey | undefined {
    const { operationName, variables } = params;
    // Parameters Yoga refuses are Yoga's to answer, whatever is stored (an empty name names no operation).
    if (!onlyKnownParameters(params) || operationName === '') return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    let { query } = params;
    const asked = extensionsAsk(params.extensions);
    if (asked === 'refusal') return undefined;
    if (asked === 'persisted-query') {
      // A hash alone names its document; a hash beside a document must be that document's (Yoga refuses it otherwise).
      const named = this.persistedQueries.documentFor(params.extensions, query);
      if (query !== undefined && named !== query) return undefined;
      query = named;
    }
    if (typeof query !== 'string') return undefined;
    const key = { version, hash: queryHash(operationName, query, variables) };
    this.rememberText(version, method, text, key);
    return key;
  }

  private rememberText(version: number, method: string, text: string, key: AnswerKey): void {
    if (!this.at(version) || this.textsOf(method) === undefined || text.length > MAX_REMEMBERED_TEXT_CHARS) return;
    if (this.texts.GET.size + this.texts.POST.size >= MAX_ANSWERS || this.textChars + text.length > MAX_REMEMBERED_CHARS) {
      this.texts = { GET: new Map(), POST: new Map() };
      this.textChars = 0;
    }
    this.textsOf(method)?.set(text, key);
    this.textChars += text.length;
  }

  /** The answer kept under the key, if the database is still at its version and it is not past its time. */
  get(key: AnswerKey): StoredAnswer | undefined {
    if (key.version !== this.version) return undefined;
    const stored = this.answers.get(key.hash);
    return stored === undefined || stored.expiresAt <= Date.now() ? undefined : stored;
  }

  /** Keeps an answer's bytes; not when the database moved on since the key was made (the answer is a past version's). */
  put(key: AnswerKey, body: Buffer, currentVersion: number): StoredAnswer | undefined {
    if (key.version !== currentVersion || !this.at(currentVersion)) return undefined;
    const stored = new StoredAnswer(body, key.hash, Date.now() + this.ttlMs);
    this.answers.set(key.hash, stored);
    return stored;
  }
}

function newAnswers(): LRUCache<string, StoredAnswer> {
  return new LRUCache<string, StoredAnswer>({
    max: MAX_ANSWERS,
    maxSize: MAX_ANSWER_BYTES,
    sizeCalculation: (stored) => stored.body.length + 1,
  });
}
