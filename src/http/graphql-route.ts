import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type ExecutionResult, GraphQLError, type GraphQLSchema } from 'graphql';
import type { ViewerCheck } from '../auth/viewer.ts';
import { SHARE_HEADER, type ShareAccess } from '../catalog/share-access.ts';
import type { GraphQLConfig, IngestConfig } from '../config.ts';
import { hasErrorCode } from '../errors.ts';
import { type CallerIdentity, callerIdentity } from '../graphql/caller-identity.ts';
import { compiledPlan, resultJson, runCompiled } from '../graphql/compiled-queries.ts';
import type { GraphQLContext, RequestIdentity } from '../graphql/context.ts';
import type { DocumentMemory } from '../graphql/document-memory.ts';
import type { PersistedQueries } from '../graphql/persisted-queries.ts';
import { boundsRefusal } from '../graphql/request-bounds.ts';
import { paramsOfJsonBody, paramsOfQueryString, type RequestParams } from '../graphql/request-params.ts';
import type { AnswerKey, StoredAnswer, StoredAnswers } from '../graphql/stored-answers.ts';
import type { GraphQLEngine, IdentityOnce, YogaOutcome } from '../graphql/yoga.ts';
import { urlsAreSharedBy } from '../images/grant.ts';
import type { Logger } from '../log.ts';
import type { StagedUpload } from '../processing/staged-upload.ts';
import { newSqlUsage, type SqlUsage, sqlServerTiming } from '../sql-meter.ts';
import type { Store } from '../storage/open-store.ts';
import { parseEntityTagList } from './conditional.ts';
import { sendGraphQLError } from './graphql-error-response.ts';
import { discardUploads } from './multipart-upload.ts';
import { BodyBudget, type BodyDeadlines, readRequestBody } from './request-body.ts';
import { requestHeader } from './request-header.ts';
import { admitUpload } from './upload-route.ts';

/** Largest GraphQL JSON body: the biggest sensible query with variables is a few KB. Uploads go through multipart. */
export const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;
/** GraphQL requests being answered at once; past it, 503 with Retry-After. */
export const MAX_GRAPHQL_IN_FLIGHT = 128;
/** Subscriptions open at once (each an event stream that holds no in-flight slot); past it, 503 with Retry-After. */
export const MAX_EVENT_STREAMS = 1_000;
/** Bytes of GraphQL bodies still arriving, all requests together; past it, 503 with Retry-After. */
const MAX_RECEIVING_BODY_BYTES = 64 * 1024 * 1024;

/** What every POST answer says about caching, whoever asked: never kept by an HTTP cache (only a GET is cacheable). */
const POST_CACHE_CONTROL = 'private, no-store';
/** A query never reads its context's signal (only mutations stop work when the client goes), so none is made per request. */
const NEVER_ABORTED = new AbortController().signal;
const BUSY_HEADERS = { 'Retry-After': '1' };
const STORED_SERVER_TIMING = 'cache;desc="hit", sql;desc="0";dur=0.00';

export interface GraphQLRouteDeps {
  engine: GraphQLEngine;
  schema: GraphQLSchema;
  documents: DocumentMemory;
  persistedQueries: PersistedQueries;
  answers: StoredAnswers;
  viewers: ViewerCheck;
  shares: ShareAccess;
  contexts: (identity: RequestIdentity) => GraphQLContext;
  /** The database version a request starting now is answered as of (read once per request, at its start). */
  versionAtRequestStart: () => number;
  /** The database version now (DatabaseVersion.current): whether it moved while a request ran. */
  databaseVersion: () => number;
  logger: Logger;
  graphql: Pick<GraphQLConfig, 'serverTiming' | 'corsOrigins' | 'maxDocumentBytes'>;
  /** The CORS headers of an answer Yoga did not write, by the caller's Origin (corsResponseHeaders). */
  corsHeaders: (origin: string | undefined) => Record<string, string> | undefined;
  store: Store;
  ingest: IngestConfig;
  bodyDeadlines: BodyDeadlines;
  /** Awaited by every request once it holds its in-flight slot (tests hold requests in flight with it). */
  holdInFlight?: () => Promise<void>;
}

/** The route's own state: the slots in use and the bytes arriving. */
interface GraphQLRoute extends GraphQLRouteDeps {
  inFlight: number;
  /** Event streams open (subscriptions). */
  streams: number;
  bodies: BodyBudget;
}

/** A request whose body, if any, is whole. */
interface ReceivedRequest {
  method: string;
  /** The GET's query string or the JSON POST's body, as sent: the stored answers know repeats by it. */
  text: string;
  /** A POST's body, or an upload's operations written as JSON: what Yoga reads. */
  body: string | undefined;
  uploads: Map<string, StagedUpload> | undefined;
}

/** A request past the admit stage, read as far as the route reads it. */
interface AdmittedRequest extends ReceivedRequest {
  /** Its parameters once read (withinBounds); undefined when they cannot be read (Yoga's to refuse) or for an upload. */
  params: RequestParams | undefined;
  /** A POST of a JSON body (not a form, not an upload). */
  json: boolean;
  /** The database version at the request's start: what it is answered as of. */
  version: number;
  started: number;
  sqlUsage: SqlUsage;
  /** The JSON type Accept asks for; undefined for anything else (GraphiQL's page, lists), which Yoga decides. */
  jsonType: string | undefined;
  /** Whether stored answers may answer it, and whether its answer may be stored (see mayShareAnswers). */
  sharesAnswers: boolean;
  /** Gives its in-flight slot back (once; at its response's close, or when it becomes an event stream). */
  releaseSlot: () => void;
}

/** What a request is answered with, from whichever stage made it. */
interface Answer {
  status: number;
  /** The engine's headers (content type, CORS, WWW-Authenticate); the route adds caching and timing. */
  headers: OutgoingHttpHeaders;
  body: Buffer;
  answered: 'stored' | 'direct' | 'yoga';
  operation: string | undefined;
  /** A query answered without errors: what `store` keeps for anonymous callers. */
  storable: boolean;
  /** The stored answer it is, or became: its entity tag is the GET's ETag. */
  stored?: StoredAnswer;
}

/**
 * `/graphql`, every method and body, in stages read top to bottom: admit (the body within its
 * bounds, the database version of the request's start) → a stored answer to the exact text →
 * an in-flight slot and the parameters within their bounds → identify the caller → a stored
 * answer to the parameters → execute (compiled, or through Yoga) → store → respond and log.
 * Each stage is one function below; this is the only place that decides what may be shared
 * between callers, sets GraphQL's caching headers and Server-Timing, and writes its log line.
 */
export function createGraphQLRoute(deps: GraphQLRouteDeps): GraphQLRouteHandler {
  const route: GraphQLRoute = { ...deps, inFlight: 0, streams: 0, bodies: new BodyBudget(MAX_RECEIVING_BODY_BYTES) };
  return (req, res, search) => answerGraphQL(route, req, res, search);
}

/** Answers one request; a promise while its body arrives or it executes (a GET answered from memory is answered at once). */
export type GraphQLRouteHandler = (req: IncomingMessage, res: ServerResponse, search: string) => Promise<void> | undefined;

function answerGraphQL(route: GraphQLRoute, req: IncomingMessage, res: ServerResponse, search: string): Promise<void> | undefined {
  if (req.method !== 'POST')
    return answerReceived(route, req, res, { method: req.method ?? 'GET', text: search, body: undefined, uploads: undefined });
  return receive(route, req, res).then((received) => (received === undefined ? undefined : answerReceived(route, req, res, received)));
}

/** The rest of the stages, once the body (if any) is whole. */
function answerReceived(
  route: GraphQLRoute,
  req: IncomingMessage,
  res: ServerResponse,
  received: ReceivedRequest,
): Promise<void> | undefined {
  let request: AdmittedRequest;
  try {
    request = admit(route, req, received);
  } catch (error) {
    // Nothing will consume an upload's staged files now: they go before the failure is answered.
    if (received.uploads === undefined) throw error;
    return discardUploads(received.uploads).then(() => Promise.reject(error));
  }
  // A text answered before at this version was admitted then: answered at once, holding no slot.
  const known = knownAnswer(route, request);
  if (known !== undefined) {
    respond(route, req, res, request, known);
    return undefined;
  }
  if (!takeSlot(route, res, request)) return request.uploads === undefined ? undefined : discardUploads(request.uploads);
  return answerInSlot(route, req, res, request);
}

async function answerInSlot(route: GraphQLRoute, req: IncomingMessage, res: ServerResponse, request: AdmittedRequest): Promise<void> {
  try {
    if (route.holdInFlight !== undefined) await route.holdInFlight();
    if (!withinBounds(route, req, res, request)) return;
    const identity = identifyOnce(route, req, request);
    const key = answerKey(route, request);
    const answer = lookUpStored(route, key) ?? (await execute(route, req, res, request, identity));
    if (answer === STREAMED) return;
    if (key !== undefined) store(route, key, answer, identity);
    respond(route, req, res, request, answer);
  } finally {
    if (request.uploads !== undefined) await discardUploads(request.uploads);
  }
}

// ── admit ──────────────────────────────────────────────────────────────────────────────────

/**
 * A POST's body, read whole and within its bounds (Content-Length, deadlines, the budget of
 * bytes arriving), or an upload's files staged; undefined when it was refused (and answered).
 * A body still arriving holds no slot: the deadlines bound it instead.
 */
async function receive(route: GraphQLRoute, req: IncomingMessage, res: ServerResponse): Promise<ReceivedRequest | undefined> {
  if (/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
    const upload = await admitUpload(route, req, res);
    if (upload === undefined) return undefined;
    return { method: 'POST', text: '', body: JSON.stringify(upload.operations), uploads: upload.uploads };
  }
  if (!bodyAnnouncedWithinBounds(req, res)) return undefined;
  route.logger.debug('graphql request body arriving');
  let body: string;
  try {
    body = (await readRequestBody(req, route.bodyDeadlines, route.bodies)).toString('utf8');
  } catch (error) {
    bodyFailed(route, req, res, error);
    return undefined;
  }
  return { method: 'POST', text: body, body, uploads: undefined };
}

/** What the rest of the route knows of a request from its start: the database version it is answered as of, above all. */
function admit(route: GraphQLRoute, req: IncomingMessage, received: ReceivedRequest): AdmittedRequest {
  const jsonType = jsonTypeFirstAccepted(req.headers.accept);
  const json = received.method === 'POST' && received.uploads === undefined && isJsonBody(req.headers['content-type']);
  return {
    method: received.method,
    text: received.text,
    body: received.body,
    uploads: received.uploads,
    params: undefined,
    json,
    version: route.versionAtRequestStart(),
    started: performance.now(),
    sqlUsage: newSqlUsage(),
    jsonType,
    sharesAnswers: (received.method === 'GET' || json) && mayShareAnswers(req, jsonType),
    releaseSlot: () => {},
  };
}

/** A JSON body, as Yoga recognises one (the first type listed, exactly, parameters after `;` allowed). */
function isJsonBody(contentType: string | undefined): boolean {
  const first = contentType?.split(',')[0];
  return first === 'application/json' || first?.startsWith('application/json;') === true;
}

/**
 * Reads the parameters and refuses those over a bound (document size, JSON nesting) before
 * anything parses the document or walks its JSON; false when refused (and answered). Parameters
 * that cannot be read are left undefined: Yoga refuses them as the protocol says.
 */
function withinBounds(route: GraphQLRoute, req: IncomingMessage, res: ServerResponse, request: AdmittedRequest): boolean {
  const { method, text, body, uploads } = request;
  if (method === 'GET') request.params = text === '' ? undefined : paramsOfQueryString(new URLSearchParams(text));
  else if (body !== undefined && uploads === undefined && request.json) request.params = paramsOfJsonBody(text);
  const refusal = request.params === undefined ? undefined : boundsRefusal(request.params, route.graphql);
  if (refusal === undefined) return true;
  sendGraphQLError(res, refusal.code, refusal.message, refusalCors(route, req), refusal.extensions);
  return false;
}

/** The CORS headers of a refusal the route answers itself, so a cross-origin caller can read why. */
function refusalCors(route: GraphQLRoute, req: IncomingMessage): Record<string, string> {
  if (route.graphql.corsOrigins.length === 0) return {};
  return { ...route.corsHeaders(req.headers.origin), vary: 'Origin' };
}

/** A POST's declared length, checked before a byte is read: required (chunked bodies are not read), and at most the limit. */
function bodyAnnouncedWithinBounds(req: IncomingMessage, res: ServerResponse): boolean {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) <= MAX_GRAPHQL_BODY_BYTES) return true;
  if (declared === undefined) {
    sendGraphQLError(res, 'LENGTH_REQUIRED', 'A GraphQL POST must carry Content-Length (chunked bodies are not read)');
  } else {
    sendGraphQLError(
      res,
      'BODY_TOO_LARGE',
      `A GraphQL request body may be at most ${MAX_GRAPHQL_BODY_BYTES} bytes; upload files as multipart`,
    );
  }
  // Read and drop the rest: the client gets its answer, the bytes are never kept.
  req.resume();
  return false;
}

/** A body that did not arrive whole: too slow (408) or too many at once (503) get an answer, and the connection is closed. */
function bodyFailed(route: GraphQLRoute, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const code = hasErrorCode(error, 'BODY_TIMEOUT') ? 'BODY_TIMEOUT' : hasErrorCode(error, 'SERVER_BUSY') ? 'SERVER_BUSY' : undefined;
  if (code === undefined) {
    req.destroy();
    return;
  }
  route.logger.info({ reason: code }, 'graphql request body refused');
  sendGraphQLError(res, code, (error as Error).message, { Connection: 'close', ...(code === 'SERVER_BUSY' ? BUSY_HEADERS : {}) });
  res.once('finish', () => req.destroy());
}

function takeSlot(route: GraphQLRoute, res: ServerResponse, request: AdmittedRequest): boolean {
  if (route.inFlight >= MAX_GRAPHQL_IN_FLIGHT) {
    sendGraphQLError(
      res,
      'SERVER_BUSY',
      `More than ${MAX_GRAPHQL_IN_FLIGHT} GraphQL requests are in progress; retry shortly`,
      BUSY_HEADERS,
    );
    return false;
  }
  // A client gone while its body was read or its files were staged: there is no one to answer.
  if (res.destroyed) return false;
  route.inFlight++;
  let held = true;
  request.releaseSlot = () => {
    if (!held) return;
    held = false;
    route.inFlight--;
  };
  res.once('close', request.releaseSlot);
  route.logger.debug('graphql request started');
  return true;
}

/**
 * The JSON type answered for an Accept: the first it asks for, when that is one of the two
 * GraphQL answers in JSON; application/json when any type will do (no Accept, or exactly
 * `*\/*`); undefined for anything else (GraphiQL's HTML, lists Yoga weighs), which Yoga decides.
 */
function jsonTypeFirstAccepted(accept: string | undefined): string | undefined {
  if (accept === undefined || accept.trim() === '*/*') return 'application/json';
  const first = accept.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  return first === 'application/graphql-response+json' || first === 'application/json' ? first : undefined;
}

/**
 * Whether a request is anonymous in the sense of the stored answers: no credentials of any kind
 * (the admin's and a share link holder's answers are never kept, so never served to anyone
 * else), and a plain JSON answer asked, of a GET or a JSON POST. The one place that decides what
 * may be shared between callers (with images/grant.ts, which says whose image URLs are).
 */
function mayShareAnswers(req: IncomingMessage, jsonType: string | undefined): boolean {
  return jsonType !== undefined && !carriesCredentials(req);
}

/** Credentials of any kind: the admin's token, or what a share link opens. */
function carriesCredentials(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined || req.headers[SHARE_HEADER] !== undefined;
}

// ── identify ───────────────────────────────────────────────────────────────────────────────

/**
 * The caller, identified at most once and only when something executes (a share link's use is
 * counted once, and a stored answer costs no lookup): the refusal of bad credentials is the
 * engine's to answer, after it has parsed and validated the document as it always does.
 */
function identifyOnce(route: GraphQLRoute, req: IncomingMessage, request: AdmittedRequest): IdentityOnce {
  let identity: CallerIdentity | Error | undefined;
  return () => {
    if (identity === undefined) {
      try {
        identity = callerIdentity(route.viewers, route.shares, (name) => requestHeader(req, name) ?? null, request.sqlUsage);
      } catch (error) {
        identity = error as Error;
      }
    }
    return identity;
  };
}

// ── look up a stored answer ────────────────────────────────────────────────────────────────

/** Where the request's answer is, or would be, stored; undefined when it is never shared between callers. */
function answerKey(route: GraphQLRoute, request: AdmittedRequest): AnswerKey | undefined {
  if (!request.sharesAnswers || request.params === undefined) return undefined;
  const { version, method, text, params } = request;
  return route.answers.keyOfText(version, method, text) ?? route.answers.keyOf(version, params, method, text);
}

/** The stored answer to a repeat of an exact text looked up before at this version, found without parsing it. */
function knownAnswer(route: GraphQLRoute, request: AdmittedRequest): Answer | undefined {
  return request.sharesAnswers ? lookUpStored(route, route.answers.keyOfText(request.version, request.method, request.text)) : undefined;
}

function lookUpStored(route: GraphQLRoute, key: AnswerKey | undefined): Answer | undefined {
  const stored = key === undefined ? undefined : route.answers.get(key);
  if (stored === undefined) return undefined;
  return { status: 200, headers: {}, body: stored.body, answered: 'stored', operation: undefined, storable: false, stored };
}

// ── execute ────────────────────────────────────────────────────────────────────────────────

/**
 * Runs the request: compiled, outside Yoga's pipeline, when it is a query Yoga accepted before
 * and nothing about it needs Yoga (compiledPlan says which); through Yoga, the GraphQL engine,
 * otherwise. Both report errors the same way (a test compares them byte for byte).
 */
async function execute(
  route: GraphQLRoute,
  req: IncomingMessage,
  res: ServerResponse,
  request: AdmittedRequest,
  identityOnce: IdentityOnce,
): Promise<Answer | typeof STREAMED> {
  const plan =
    request.params === undefined || request.jsonType === undefined || request.uploads !== undefined
      ? undefined
      : compiledPlan(route, request.params, requestHeader(req, 'authorization') ?? null);
  const identity = plan === undefined ? undefined : identityOnce();
  if (plan === undefined || identity === undefined || !isCaller(identity)) return executeInYoga(route, req, res, request, identityOnce);
  let result: ExecutionResult;
  try {
    const context = route.contexts({
      ...identity,
      signal: NEVER_ABORTED,
      clientAddress: req.socket.remoteAddress ?? '',
      sqlUsage: request.sqlUsage,
      version: request.version,
    });
    result = await runCompiled(plan, context);
  } catch (error) {
    // A resolver's failure is in the result's errors; this is a bug past them, answered as Yoga answers one.
    result = { errors: [new GraphQLError('Unexpected error.', { originalError: error as Error })] };
  }
  const { json, unexpected } = resultJson(result);
  for (const error of unexpected) route.logger.error({ err: error.originalError ?? error, path: error.path }, 'graphql resolver failed');
  return {
    status: result.data === undefined && result.errors !== undefined ? 500 : 200,
    headers: {},
    body: Buffer.from(json),
    answered: 'direct',
    operation: plan.operationName,
    storable: (result.errors?.length ?? 0) === 0,
  };
}

function isCaller(identity: CallerIdentity | Error): identity is CallerIdentity {
  return !(identity instanceof Error);
}

async function executeInYoga(
  route: GraphQLRoute,
  req: IncomingMessage,
  res: ServerResponse,
  request: AdmittedRequest,
  identity: IdentityOnce,
): Promise<Answer | typeof STREAMED> {
  const asksForEvents = /\btext\/event-stream\b/i.test(req.headers.accept ?? '');
  if (asksForEvents && route.streams >= MAX_EVENT_STREAMS) {
    sendGraphQLError(res, 'SERVER_BUSY', `More than ${MAX_EVENT_STREAMS} subscriptions are open; retry shortly`, BUSY_HEADERS);
    return STREAMED;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  if (request.uploads !== undefined) headers.set('content-type', 'application/json');
  const outcome: YogaOutcome = { query: false, errors: 0, operation: undefined };
  const search = request.method === 'GET' && request.text !== '' ? `?${request.text}` : '';
  // A client that goes away stops what runs on its behalf (an import from a URL, say).
  const clientGone = new AbortController();
  if (res.destroyed) clientGone.abort();
  else
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
  // Only the path and query matter to Yoga; the host is not the client's to choose here.
  const response = await route.engine.fetch(
    `http://lightbox/graphql${search}`,
    { method: request.method, headers, body: request.body, signal: clientGone.signal },
    {
      req,
      identity,
      uploads: request.uploads,
      sqlUsage: request.sqlUsage,
      version: request.version,
      outcome,
    },
  );
  if (response.body !== null && response.headers.get('content-type')?.startsWith('text/event-stream') === true) {
    streamEvents(route, res, request, response, outcome);
    return STREAMED;
  }
  return {
    status: response.status,
    headers: headersOfEngine(response),
    body: Buffer.from(await response.arrayBuffer()),
    answered: 'yoga',
    operation: outcome.operation ?? (typeof request.params?.operationName === 'string' ? request.params.operationName : undefined),
    storable: outcome.query && outcome.errors === 0 && response.status === 200,
  };
}

/** Yoga's headers, but its length: the route writes the length of what it sends (none for a stream). */
function headersOfEngine(response: Response): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name.toLowerCase() !== 'content-length') headers[name.toLowerCase()] = value;
  });
  return headers;
}

/** What execute answers when it has written the response itself: an event stream (or its refusal). */
const STREAMED = Symbol('streamed');

/**
 * A subscription's events (GraphQL over Server-Sent Events, as Yoga writes them), written as
 * they come. It gives its in-flight slot back first: it may stay open for hours and counts
 * against MAX_EVENT_STREAMS instead. Never cached, never buffered by a proxy.
 */
function streamEvents(route: GraphQLRoute, res: ServerResponse, request: AdmittedRequest, response: Response, outcome: YogaOutcome): void {
  request.releaseSlot();
  route.streams++;
  res.once('close', () => route.streams--);
  const headers = headersOfEngine(response);
  headers['cache-control'] = 'no-store';
  headers['x-accel-buffering'] = 'no';
  // A stream ends rarely, and at a shutdown: its connection goes with it rather than idling in keep-alive.
  headers.connection = 'close';
  headers['x-content-type-options'] ??= 'nosniff';
  res.writeHead(response.status, headers);
  res.flushHeaders();
  route.logger.info(
    { method: request.method, operation: outcome.operation, status: response.status, answered: 'stream' },
    'graphql stream opened',
  );
  const body = (response.body as ReadableStream<Uint8Array>).getReader();
  res.once('close', () => void body.cancel().catch(() => {}));
  const pump = async () => {
    for (;;) {
      const { done, value } = await body.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await drainedOrClosed(res);
    }
    res.end();
  };
  pump().catch((error: unknown) => {
    route.logger.warn({ err: error }, 'graphql event stream failed');
    res.destroy();
  });
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

// ── store ──────────────────────────────────────────────────────────────────────────────────

/**
 * Keeps an anonymous query's clean answer, unless the database moved while it ran (it is a past
 * version's). Only an answer whose image URLs are the same for every caller and never expire
 * may be kept and served to another (images/grant.ts says whose are).
 */
function store(route: GraphQLRoute, key: AnswerKey, answer: Answer, identity: IdentityOnce): void {
  if (!answer.storable || answer.stored !== undefined) return;
  const caller = identity();
  if (!isCaller(caller) || !urlsAreSharedBy(caller.viewer)) return;
  answer.stored = route.answers.put(key, answer.body, route.databaseVersion());
}

// ── respond and log ────────────────────────────────────────────────────────────────────────

/**
 * Writes the answer with the headers every GraphQL answer carries, whichever stage made it, and
 * logs it. Only a GET is cacheable over HTTP: an anonymous one is `public, no-cache` with the
 * stored answer's ETag, and a GET whose If-None-Match names that tag is a 304.
 */
function respond(route: GraphQLRoute, req: IncomingMessage, res: ServerResponse, request: AdmittedRequest, answer: Answer): void {
  // The engine's headers (none but the content type for a stored or compiled answer), to which the route adds its own.
  const headers = answer.headers;
  let cacheControl = POST_CACHE_CONTROL;
  let etag: string | undefined;
  if (request.method === 'GET') {
    const anonymous = !carriesCredentials(req);
    headers.vary = joinVary(headers.vary, anonymous ? 'Accept, Authorization, X-Lightbox-Share' : 'Accept');
    cacheControl = anonymous ? 'public, no-cache' : 'private, no-store';
    if (answer.stored !== undefined && answer.status === 200) etag = answer.stored.etag;
  }
  headers['cache-control'] = cacheControl;
  // Yoga's answers carry their CORS headers and Vary: Origin already.
  if (route.graphql.corsOrigins.length > 0 && answer.answered !== 'yoga') {
    Object.assign(headers, route.corsHeaders(req.headers.origin));
    headers.vary = joinVary(headers.vary, 'Origin');
  }
  headers['x-content-type-options'] ??= 'nosniff';
  if (route.graphql.serverTiming) {
    headers['server-timing'] = answer.answered === 'stored' ? STORED_SERVER_TIMING : sqlServerTiming(request.sqlUsage);
  }
  let status = answer.status;
  if (etag !== undefined && namesTag(req.headers['if-none-match'], etag)) {
    status = 304;
    headers.etag = etag;
    // A 304 says no type: only an answer Yoga wrote carries one by now (the first GET after a write, the rare one).
    if (answer.answered === 'yoga') delete headers['content-type'];
    res.writeHead(304, headers);
    res.end();
  } else {
    if (etag !== undefined) headers.etag = etag;
    if (answer.answered !== 'yoga') headers['content-type'] = `${request.jsonType}; charset=utf-8`;
    headers['content-length'] = answer.body.length;
    res.writeHead(status, headers);
    res.end(answer.body);
  }
  route.logger.info(
    {
      method: request.method,
      operation: answer.operation,
      status,
      ms: Math.round((performance.now() - request.started) * 100) / 100,
      sqlStatements: request.sqlUsage.statements,
      answered: answer.answered,
    },
    'graphql request',
  );
}

function joinVary(present: OutgoingHttpHeaders[string], more: string): string {
  if (present === undefined || present === '') return more;
  return `${Array.isArray(present) ? present.join(', ') : String(present)}, ${more}`;
}

/**
 * Whether If-None-Match names this entity tag. `*` does not: it would confirm whatever the
 * request now gets, and a 304 confirms only the very answer it names.
 */
function namesTag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = parseEntityTagList(ifNoneMatch);
  return tags !== '*' && tags.some((tag) => `"${tag.opaque}"` === etag || tag.opaque === etag);
}
