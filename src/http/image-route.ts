import { randomBytes } from 'node:crypto';
import { createReadStream, readFile, type Stats, stat, statSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { hasErrorCode, StorageUnavailableError } from '../errors.ts';
import { type GrantChecks, type ImageGrant, verifyGrant } from '../images/grant.ts';
import { followsAccept, parseImagePath } from '../images/image-url.ts';
import type { Logger } from '../log.ts';
import { renditionSource } from '../media/public-original.ts';
import { publicOriginalRender, type RenderQueue, type RenderRequest } from '../media/render-queue.ts';
import type { ObjectFacts } from '../storage/bucket.ts';
import type { BucketFiles } from '../storage/bucket-files.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { negotiateFormat } from './accept.ts';
import { evaluatePreconditions, ifRangeMatches } from './conditional.ts';
import type { ImageFileCache } from './file-cache.ts';
import { sendPlain } from './plain-response.ts';
import { type ByteRange, coalesceRanges, parseRange } from './range.ts';
import { redactCredentials } from './redact-url.ts';
import { requestHeader } from './request-header.ts';
import { type FileStat, type FileValidators, httpDate, lastModifiedOf, type ValidatorCache } from './validators.ts';

/**
 * `GET|HEAD /images/<photoId>/<variant>[.<format>]`: a thin node:http handler, never through
 * Yoga. One request reads top to bottom, as pillarjs/send does:
 *
 * 1. handleImage: the method, then the target (parseImagePath: 400 only for a path that
 *    cannot name a file under a photo);
 * 2. authorise: verifyGrant (images/grant.ts) says which file the URL may receive, or nothing,
 *    answered exactly as a photo that does not exist;
 * 3. serveFile: one stat; respondFromFile evaluates the conditions (RFC 9110 §13: 304, 412);
 * 4. sendRepresentation: the headers, then a range (206, 416), HEAD, or the whole body;
 * 5. renderThenRespond: a rendition not made yet is made on its first request, once (the
 *    render queue joins requests for the same file), then answered as if it had been there.
 *
 * A bucket library (LIGHTBOX_STORAGE=s3://…) takes the same path: the granted file's path is its
 * place in the local cache, so a cached file is one stat and its 304 asks nothing of the bucket.
 * Only a file not in the cache goes on to serveFromBucket: a revalidation of a file this host has
 * seen is answered from the cache's index; anything else is fetched into the cache (a big
 * original is streamed through from the bucket instead, by range when a range is asked), or
 * rendered when the bucket has no such rendition. A bucket that fails is a 503 with Retry-After.
 *
 * The 304 path allocates no closure: every step is a top-level function over `deps`.
 */

const NOT_FOUND_CACHE = 'public, max-age=60';
const ALLOW = 'GET, HEAD';
const VARY_ACCEPT: OutgoingHttpHeaders = Object.freeze({ Vary: 'Accept' });
const STAT_OPTIONS = { throwIfNoEntry: false } as const;
/** How long a file's stat is taken as true: the one-second resolution of Last-Modified. */
export const STAT_TRUSTED_MS = 1000;
const RETRY_AFTER_SECONDS = '2';
/** Read size for streamed files: 64 KB measured best here (128 KB and 256 KB cost 15-25% more CPU per request). */
const HIGH_WATER_MARK = 64 * 1024;
/** Files up to this size are read in one call rather than streamed. */
const WHOLE_READ_BYTES = 64 * 1024;

export interface ImageRouteOptions {
  /** What a URL may receive (images/grant.ts grantChecks). */
  grants: GrantChecks;
  layout: StorageLayout;
  /** A bucket library's files, when that is where they are (undefined on the local disk). */
  objects?: BucketFiles;
  renderer: RenderQueue;
  /** Small files' bytes, kept in memory (its bound is a share of LIGHTBOX_IMAGE_CACHE_MB, as the validators'). */
  cache: ImageFileCache;
  /** ETag, Last-Modified and kept 304 headers per file. */
  validators: ValidatorCache;
  logger: Logger;
}

/** Everything the route's functions read, made once per server and passed down as one object. */
interface ImageRouteDeps extends ImageRouteOptions {
  /** Debug logging is on: each request answered from a file is logged, its credentials redacted. */
  logRequests: boolean;
}

export type ImageHandler = (req: IncomingMessage, res: ServerResponse, pathname: string, search: string) => void;

export function createImageRoute(options: ImageRouteOptions): ImageHandler {
  const deps: ImageRouteDeps = { ...options, logRequests: options.logger.isLevelEnabled('debug') };
  return (req, res, pathname, search) => handleImage(deps, req, res, pathname, search);
}

/** 1 and 2: the method, the target, and what the URL may receive of it. */
function handleImage(deps: ImageRouteDeps, req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
  const headOnly = req.method === 'HEAD';
  if (req.method !== 'GET' && !headOnly) {
    sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: ALLOW });
    return;
  }
  const path = parseImagePath(pathname);
  if (path.kind === 'malformed') {
    sendPlain(res, 400, 'Bad request: an image URL is /images/<photoId>/<variant>.<format>', 'no-store', headOnly);
    return;
  }
  const varyAccept = followsAccept(path);
  // An extensionless URL's rendition is in the format the client takes best (ORIGINAL keeps its own).
  const accepted = varyAccept ? negotiateFormat(requestHeader(req, 'accept')) : undefined;
  const grant = verifyGrant(deps.grants, path, pathname, search, accepted);
  if (grant === undefined) {
    sendNotFound(res, headOnly, varyAccept);
    return;
  }
  serveFile(deps, req, res, grant);
}

/** Unknown, unauthorised and wrong-extension answers are identical: existence is not revealed. */
function sendNotFound(res: ServerResponse, headOnly: boolean, varyAccept: boolean): void {
  sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly, varyAccept ? VARY_ACCEPT : undefined);
}

/**
 * 3: the granted file's validators, from a stat made within the last second, or from one made now,
 * synchronously, as nginx does (a stat of a cached inode is a microsecond syscall, while the
 * thread-pool round trip of fs.stat costs several times that). Every stored file is written once
 * under a name of its own (content-addressed originals, versioned renditions), so a kept stat goes
 * stale only when a file is changed by hand; trusting it for a second, the resolution of
 * Last-Modified, bounds that, and takes the syscall off all but one revalidation a second per file.
 * Absent, a rendition (or the public copy of ORIGINAL) is rendered first.
 */
function serveFile(deps: ImageRouteDeps, req: IncomingMessage, res: ServerResponse, grant: ImageGrant): void {
  const now = deps.grants.clock();
  const recent = deps.validators.checkedSince(grant.path, now - STAT_TRUSTED_MS);
  if (recent !== undefined) {
    if (deps.objects !== undefined) deps.objects.touch(grant.path, now);
    respondFromFile(deps, req, res, grant, recent, now);
    return;
  }
  let stats: Stats | undefined;
  let failure: NodeJS.ErrnoException | undefined;
  try {
    stats = statSync(grant.path, STAT_OPTIONS);
  } catch (error) {
    failure = error as NodeJS.ErrnoException;
  }
  if (stats?.isFile()) {
    if (deps.objects !== undefined) deps.objects.touch(grant.path, now);
    respondFromFile(deps, req, res, grant, deps.validators.for(grant.path, stats.mtimeMs, stats.size, now), now);
    return;
  }
  if (deps.objects !== undefined && failure === undefined) {
    serveFromBucket(deps, deps.objects, req, res, grant);
    return;
  }
  // The uploaded original is never rendered: missing, it is an error below.
  if (stats === undefined && failure === undefined && !grant.untouched) {
    renderThenRespond(deps, req, res, grant);
    return;
  }
  deps.logger.error({ err: failure, path: grant.path }, 'original is missing for a known photo');
  sendNotFound(res, req.method === 'HEAD', grant.varyAccept);
}

/** 3, continued: RFC 9110 §13.2.2's conditions, from the file's validators alone; past them, the representation. */
function respondFromFile(
  deps: ImageRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  validators: FileValidators,
  now: number,
): void {
  logRequest(deps, req);
  if (answeredByConditions(req, res, grant, validators, now)) return;
  sendRepresentation(deps, req, res, grant, validators, now);
}

function logRequest(deps: ImageRouteDeps, req: IncomingMessage): void {
  if (deps.logRequests) deps.logger.debug({ method: req.method, url: redactCredentials(req.url ?? '') }, 'image request');
}

/** The 304 or 412 the request's conditions call for against these validators; false when the representation is to be sent. */
function answeredByConditions(
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  validators: FileValidators,
  now: number,
): boolean {
  const outcome = evaluatePreconditions(
    {
      ifMatch: requestHeader(req, 'if-match'),
      ifNoneMatch: requestHeader(req, 'if-none-match'),
      ifModifiedSince: requestHeader(req, 'if-modified-since'),
      ifUnmodifiedSince: requestHeader(req, 'if-unmodified-since'),
    },
    validators.etag,
    validators.mtimeMs,
  );
  if (outcome === 'not-modified') {
    res.writeHead(304, notModifiedHeaders(validators, grant, now));
    res.end();
    return true;
  }
  if (outcome === 'precondition-failed') {
    sendPlain(res, 412, 'Precondition failed', 'no-store', req.method === 'HEAD', grant.varyAccept ? VARY_ACCEPT : undefined);
    return true;
  }
  return false;
}

/**
 * RFC 9110 §15.4.5: a 304 carries exactly the fields a cache updates its stored response from, no
 * representation metadata. Under a policy every holder of the URL shares (not a signed URL's
 * countdown), the block is the same for every revalidation of one file within a second, so the
 * last one made is kept with the file's validators (a file is nearly always asked under one policy).
 */
function notModifiedHeaders(file: FileValidators, grant: ImageGrant, now: number): OutgoingHttpHeaders {
  const { cacheControl, maxAge, uniform } = grant.policy;
  const expiresSecond = maxAge > 0 ? Math.floor(now / 1000) + maxAge : Number.NaN;
  const key = grant.varyAccept ? `${cacheControl}|vary` : cacheControl;
  const kept = uniform ? file.notModified : undefined;
  if (kept !== undefined && kept.key === key && (maxAge === 0 || kept.expiresSecond === expiresSecond)) return kept.headers;
  const headers: OutgoingHttpHeaders = { ETag: file.etag, 'Cache-Control': cacheControl };
  if (maxAge > 0) headers.Expires = httpDate(expiresSecond * 1000);
  if (grant.varyAccept) headers.Vary = 'Accept';
  if (uniform) file.notModified = { key, headers, expiresSecond };
  return headers;
}

/** The headers of a 200 or 206 of the file, before its length and range. */
function representationHeaders(grant: ImageGrant, file: FileValidators, now: number): OutgoingHttpHeaders {
  const { policy } = grant;
  const headers: OutgoingHttpHeaders = {
    ETag: file.etag,
    'Last-Modified': lastModifiedOf(file.mtimeMs),
    'Cache-Control': policy.cacheControl,
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    'Content-Type': grant.contentType,
  };
  if (policy.maxAge > 0) headers.Expires = httpDate(now + policy.maxAge * 1000);
  if (grant.varyAccept) headers.Vary = 'Accept';
  return headers;
}

/** The range a GET asks for, honoured only while If-Range (if any) still names this file; undefined for the whole file. */
function askedRange(req: IncomingMessage, file: FileValidators, now: number) {
  const range = req.method === 'GET' ? requestHeader(req, 'range') : undefined;
  const ifRange = requestHeader(req, 'if-range');
  const honoured = range !== undefined && (ifRange === undefined || ifRangeMatches(ifRange, file.etag, file.mtimeMs, now));
  return honoured ? parseRange(range, file.size) : undefined;
}

/** 416: not the representation itself, so never cacheable for a year, whatever the URL's version says. */
function sendUnsatisfiable(res: ServerResponse, grant: ImageGrant, file: FileValidators): void {
  sendPlain(res, 416, 'Range not satisfiable', 'no-store', false, {
    'Content-Range': `bytes */${file.size}`,
    ETag: file.etag,
    ...(grant.varyAccept ? VARY_ACCEPT : undefined),
  });
}

/** 4: the representation's headers, then a range of it (206, 416), HEAD, or all of it. */
function sendRepresentation(
  deps: ImageRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  file: FileValidators,
  now: number,
): void {
  const headers = representationHeaders(grant, file, now);
  const asked = askedRange(req, file, now);
  if (asked?.kind === 'unsatisfiable') {
    sendUnsatisfiable(res, grant, file);
    return;
  }
  if (asked?.kind === 'partial') {
    sendRanges(deps, res, grant, file, coalesceRanges(asked.ranges), headers);
    return;
  }
  headers['Content-Length'] = file.size;
  if (req.method === 'HEAD' || file.size === 0) {
    res.writeHead(200, headers);
    res.end();
    return;
  }
  sendWhole(deps, res, grant, file, headers);
}

/** 206 for one range (from memory when the file is kept there), or multipart/byteranges for several. */
function sendRanges(
  deps: ImageRouteDeps,
  res: ServerResponse,
  grant: ImageGrant,
  file: FileStat,
  ranges: ByteRange[],
  headers: OutgoingHttpHeaders,
): void {
  if (ranges.length > 1) {
    void sendMultipart(deps, res, grant, file, ranges, headers);
    return;
  }
  const only = ranges[0] as ByteRange;
  headers['Content-Range'] = `bytes ${only.start}-${only.end}/${file.size}`;
  headers['Content-Length'] = only.end - only.start + 1;
  const kept = deps.cache.get(grant.path, file.mtimeMs, file.size);
  if (kept !== undefined) {
    res.writeHead(206, headers);
    deps.cache.send(res, kept, only.start, only.end);
    return;
  }
  streamFile(deps, res, grant, only.start, only.end, 206, headers);
}

function multipartBody(ranges: ByteRange[], size: number, contentType: string) {
  const boundary = randomBytes(12).toString('hex');
  const heads = ranges.map(
    (range, index) =>
      `${index === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  const length = heads.reduce((sum, head, index) => {
    const range = ranges[index] as ByteRange;
    return sum + Buffer.byteLength(head) + range.end - range.start + 1;
  }, Buffer.byteLength(tail));
  return { boundary, heads, tail, length };
}

async function sendMultipart(
  deps: ImageRouteDeps,
  res: ServerResponse,
  grant: ImageGrant,
  file: FileStat,
  ranges: ByteRange[],
  headers: OutgoingHttpHeaders,
): Promise<void> {
  const body = multipartBody(ranges, file.size, grant.contentType);
  headers['Content-Type'] = `multipart/byteranges; boundary=${body.boundary}`;
  headers['Content-Length'] = body.length;
  res.writeHead(206, headers);
  try {
    for (const [index, range] of ranges.entries()) {
      res.write(body.heads[index]);
      await pipelineAsync(createReadStream(grant.path, { start: range.start, end: range.end }), res, { end: false });
    }
    res.end(body.tail);
  } catch (error) {
    deps.logger.warn({ err: error, path: grant.path }, 'multipart image body was cut short');
    res.destroy();
  }
}

/** 200 with the whole file: from memory when kept there, read into it when it may be, read in one call when small, else streamed. */
function sendWhole(deps: ImageRouteDeps, res: ServerResponse, grant: ImageGrant, file: FileStat, headers: OutgoingHttpHeaders): void {
  const kept = deps.cache.get(grant.path, file.mtimeMs, file.size);
  if (kept !== undefined) {
    res.writeHead(200, headers);
    deps.cache.send(res, kept, 0, file.size - 1);
    return;
  }
  if (deps.cache.keeps(file.size)) {
    deps.cache.read(grant.path, file, (read) => {
      // Not kept as the stat saw it (replaced meanwhile, or no room): streamed, and the next request tries again.
      if (read === undefined) return streamFile(deps, res, grant, 0, file.size - 1, 200, headers);
      res.writeHead(200, headers);
      deps.cache.send(res, read, 0, file.size - 1);
    });
    return;
  }
  // Small files are read whole even when they will not be kept: one read beats a stream's set-up.
  if (file.size > WHOLE_READ_BYTES) {
    streamFile(deps, res, grant, 0, file.size - 1, 200, headers);
    return;
  }
  readFile(grant.path, (error, data) => {
    if (error || data.length !== file.size) {
      streamFile(deps, res, grant, 0, file.size - 1, 200, headers);
      return;
    }
    res.writeHead(200, headers);
    res.end(data);
  });
}

function streamFile(
  deps: ImageRouteDeps,
  res: ServerResponse,
  grant: ImageGrant,
  start: number,
  end: number,
  status: number,
  headers: OutgoingHttpHeaders,
): void {
  const { path } = grant;
  const body = createReadStream(path, { start, end, highWaterMark: HIGH_WATER_MARK });
  body.once('error', (error: NodeJS.ErrnoException) => {
    if (res.headersSent) return;
    // A bucket library's file evicted from the cache between its stat and this open: fetched again.
    if (deps.objects !== undefined && error.code === 'ENOENT') {
      serveFromBucket(deps, deps.objects, res.req, res, grant);
      return;
    }
    deps.logger.error({ err: error, path }, 'image file could not be opened');
    sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, false);
  });
  body.once('open', () => {
    res.writeHead(status, headers);
    // pipeline destroys the file stream when the client goes away, so no descriptor leaks.
    pipeline(body, res, (error) => {
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') deps.logger.warn({ err: error, path }, 'image body was cut short');
    });
  });
}

/** 5: the missing file made (once, however many requests wait for it), then answered as if it had been there. */
function renderThenRespond(deps: ImageRouteDeps, req: IncomingMessage, res: ServerResponse, grant: ImageGrant): void {
  const render = renderRequestFor(deps.layout, grant);
  deps.renderer.ensure(render).then(
    () => respondRendered(deps, req, res, grant),
    (error: unknown) => renderFailed(deps, req, res, grant, render, error),
  );
}

function respondRendered(deps: ImageRouteDeps, req: IncomingMessage, res: ServerResponse, grant: ImageGrant): void {
  stat(grant.path, (error, stats) => {
    if (error) {
      deps.logger.error({ err: error, path: grant.path }, 'rendered image vanished');
      sendPlain(res, 500, 'Could not render this image', 'no-store', req.method === 'HEAD', grant.varyAccept ? VARY_ACCEPT : undefined);
      return;
    }
    const now = deps.grants.clock();
    respondFromFile(deps, req, res, grant, deps.validators.for(grant.path, stats.mtimeMs, stats.size, now), now);
  });
}

function renderFailed(
  deps: ImageRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  render: RenderRequest,
  error: unknown,
) {
  const headOnly = req.method === 'HEAD';
  const vary = grant.varyAccept ? VARY_ACCEPT : undefined;
  if (hasErrorCode(error, 'RENDER_BUSY')) {
    sendPlain(res, 503, 'Busy rendering images; retry shortly', 'no-store', headOnly, { 'Retry-After': RETRY_AFTER_SECONDS, ...vary });
    return;
  }
  if (error instanceof StorageUnavailableError) {
    bucketFailed(deps, req, res, grant, error);
    return;
  }
  deps.logger.error({ err: error, source: render.source, destination: render.destination }, 'could not render an image');
  sendPlain(res, 500, 'Could not render this image', 'no-store', headOnly, vary);
}

/** What makes a missing file: asked only when the stat finds none, never on the common path. */
function renderRequestFor(layout: StorageLayout, grant: ImageGrant): RenderRequest {
  const { photo } = grant;
  const publicOriginal = publicOriginalRender(layout, photo);
  if (grant.format === undefined || grant.variant === 'original') return publicOriginal;
  const { source, quarterTurns, via } = renditionSource(publicOriginal);
  const request: RenderRequest = {
    source,
    quarterTurns,
    destination: grant.path,
    variant: grant.variant,
    format: grant.format,
    width: photo.width,
    height: photo.height,
  };
  if (via !== undefined) request.via = { variant: 'original', ...via };
  return request;
}

// ---------------------------------------------------------------------------------------------
// A bucket library's file that is not in the local cache (serveFile found no file at its path).

function serveFromBucket(deps: ImageRouteDeps, objects: BucketFiles, req: IncomingMessage, res: ServerResponse, grant: ImageGrant): void {
  const known = objects.known(grant.path);
  if (known !== undefined && answeredFromKnown(deps, req, res, grant, known)) return;
  objects.locate(grant.path).then(
    (found) => {
      if (found.kind === 'cached') {
        const now = deps.grants.clock();
        respondFromFile(deps, req, res, grant, deps.validators.for(grant.path, found.stats.mtimeMs, found.stats.size, now), now);
      } else if (found.kind === 'remote') respondFromObject(deps, objects, req, res, grant, found.facts);
      else if (!grant.untouched) renderThenRespond(deps, req, res, grant);
      else {
        deps.logger.error({ path: grant.path, storage: objects.location }, 'original is missing for a known photo');
        sendNotFound(res, req.method === 'HEAD', grant.varyAccept);
      }
    },
    (error: unknown) => bucketFailed(deps, req, res, grant, error),
  );
}

/**
 * A conditional request answered from the file as this host last saw it (cached then, maybe
 * evicted since): a 304 or 412 without the bucket. Its validators are not a stat (checked at 0):
 * nothing takes them for a file on disk.
 */
function answeredFromKnown(
  deps: ImageRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  known: ObjectFacts,
): boolean {
  const validators = deps.validators.for(grant.path, known.modifiedMs, known.size, 0);
  if (!answeredByConditions(req, res, grant, validators, deps.grants.clock())) return false;
  logRequest(deps, req);
  return true;
}

/**
 * A big object streamed through from the bucket, never held whole: the conditions against its
 * validators (from its HEAD), then one range of it as a ranged GET, or all of it. Several ranges
 * get all of it (RFC 9110 §14.2 lets a server ignore Range), rather than one GET per range.
 */
function respondFromObject(
  deps: ImageRouteDeps,
  objects: BucketFiles,
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  facts: ObjectFacts,
): void {
  const now = deps.grants.clock();
  const validators = deps.validators.for(grant.path, facts.modifiedMs, facts.size, 0);
  logRequest(deps, req);
  if (answeredByConditions(req, res, grant, validators, now)) return;
  const headers = representationHeaders(grant, validators, now);
  const asked = askedRange(req, validators, now);
  if (asked?.kind === 'unsatisfiable') {
    sendUnsatisfiable(res, grant, validators);
    return;
  }
  const ranges = asked?.kind === 'partial' ? coalesceRanges(asked.ranges) : [];
  const only = ranges.length === 1 ? (ranges[0] as ByteRange) : { start: 0, end: facts.size - 1 };
  const status = ranges.length === 1 ? 206 : 200;
  if (status === 206) headers['Content-Range'] = `bytes ${only.start}-${only.end}/${facts.size}`;
  headers['Content-Length'] = only.end - only.start + 1;
  if (req.method === 'HEAD' || facts.size === 0) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  objects.range(grant.path, only.start, only.end).then(
    (body) => sendObjectBody(deps, req, res, grant, body, status, headers),
    (error: unknown) => bucketFailed(deps, req, res, grant, error),
  );
}

function sendObjectBody(
  deps: ImageRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: ImageGrant,
  body: Readable | undefined,
  status: number,
  headers: OutgoingHttpHeaders,
): void {
  if (body === undefined) {
    // Gone between its HEAD and this GET: its photo was deleted meanwhile.
    sendNotFound(res, req.method === 'HEAD', grant.varyAccept);
    return;
  }
  res.writeHead(status, headers);
  // pipeline ends the bucket's response when the client goes away: nothing more is downloaded for it.
  pipeline(body, res, (error) => {
    if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE')
      deps.logger.warn({ err: error, path: grant.path }, 'image body from the bucket was cut short');
  });
}

/**
 * The bucket did not answer (network, 5xx, refused credentials): 503 with Retry-After, never a
 * 404 a CDN would keep, nor a 500; logged, with the store's reason.
 */
function bucketFailed(deps: ImageRouteDeps, req: IncomingMessage, res: ServerResponse, grant: ImageGrant, error: unknown): void {
  deps.logger.error({ err: error, path: grant.path }, 'the bucket did not answer an image request');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendPlain(res, 503, 'The photo storage is not answering; retry shortly', 'no-store', req.method === 'HEAD', {
    'Retry-After': RETRY_AFTER_SECONDS,
    ...(grant.varyAccept ? VARY_ACCEPT : undefined),
  });
}
