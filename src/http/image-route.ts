import { randomBytes } from 'node:crypto';
import { createReadStream, readFile, type Stats, stat, statSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import type { PhotoFile, PhotoFileLookup } from '../catalog/photo-files.ts';
import type { SharedPhotoLookup } from '../catalog/shared-photos.ts';
import { hasErrorCode } from '../errors.ts';
import { PUBLIC_ID_PATTERN } from '../ids.ts';
import { parseImagePath, parseImageQuery, urlKeyOf } from '../images/image-url.ts';
import { spendSignatureCheck, verifyImageSignature } from '../images/url-signing.ts';
import type { Logger } from '../log.ts';
import { publicOriginalFormat, renditionSource } from '../media/public-original.ts';
import type { PublicOriginalRender, RenderQueue, RenderRequest } from '../media/render-queue.ts';
import { type ImageFormat, type ImageVariant, isImageFormat, MIME_TYPES } from '../media/variants.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { negotiateFormat } from './accept.ts';
import { evaluatePreconditions, ifRangeMatches } from './conditional.ts';
import type { ImageFileCache } from './file-cache.ts';
import { sendPlain } from './plain-response.ts';
import { type ByteRange, coalesceRanges, parseRange } from './range.ts';
import { redactCredentials } from './redact-url.ts';
import { requestHeader } from './request-header.ts';
import { type FileValidators, httpDate, ValidatorCache } from './validators.ts';

const REVALIDATE = 'public, no-cache';
/** A share link's images are checked against the link on every use, browsers' copies included. */
const SHARED_POLICY: CachePolicy = { cacheControl: 'private, no-cache', maxAge: 0 };
const NOT_FOUND_CACHE = 'public, max-age=60';
const ALLOW = 'GET, HEAD';
const STAT_OPTIONS = { throwIfNoEntry: false } as const;
const RETRY_AFTER_SECONDS = '2';
/** Read size for streamed files: 64 KB measured best here (128 KB and 256 KB cost 15-25% more CPU per request). */
const HIGH_WATER_MARK = 64 * 1024;
/** Files up to this size are read in one call rather than streamed. */
const WHOLE_READ_BYTES = 64 * 1024;

export interface ImageRouteDeps {
  photos: PhotoFileLookup;
  /** Answers for URLs signed under a share link (`s=`). */
  sharedPhotos: SharedPhotoLookup;
  layout: StorageLayout;
  renderer: RenderQueue;
  cache: ImageFileCache;
  logger: Logger;
  /** Verifies `sig` on URLs of private photos. */
  signing: ImageSigning;
}

export interface ImageSigning {
  secret: string;
  /** The longest a URL may have been signed for: an `exp` further away was not made by us. */
  maxTtlSeconds: number;
  /** How a public photo at its current URL may be cached (LIGHTBOX_PUBLIC_MAX_AGE). */
  publicPolicy: CachePolicy;
}

/** Immutable for `maxAge` seconds; 0 means every use revalidates. */
export function publicCachePolicy(maxAge: number): CachePolicy {
  return maxAge > 0 ? { cacheControl: `public, max-age=${maxAge}, immutable`, maxAge } : { cacheControl: REVALIDATE, maxAge: 0 };
}

export interface CachePolicy {
  cacheControl: string;
  /** Seconds; 0 when the response must be revalidated (then no Expires is sent). */
  maxAge: number;
}

/** What one request resolved to: the file and the headers every answer about it repeats. */
interface Target {
  path: string;
  contentType: string;
  policy: CachePolicy;
  /** Extensionless URLs vary by Accept, on every response, the fallback included. */
  varyAccept: boolean;
}

interface Access {
  policy: CachePolicy;
  /** The URL grants the uploaded bytes as they are (only ever signed for the admin). */
  untouched: boolean;
}

interface AccessRules {
  signing: ImageSigning;
  sharedPhotos: SharedPhotoLookup;
  /** A public photo's two answers, made once: at its current URL, and at any other (revalidated). */
  publicAccess: { current: Access; revalidated: Access };
}

/**
 * What a URL lets its holder receive, and how the answer may be cached; undefined is a 404.
 * Public photos: anyone, immutable for a year at the current version, else revalidate. Private
 * photos: only with a valid signature, cached privately no longer than it stays valid. The
 * untouched original: only with a signature made for that grant, whatever the photo is. URLs
 * signed under a share link: only while the link is live and its album holds the photo (and,
 * for ORIGINAL, while it allows originals), revalidated on every use.
 */
function accessOf(
  file: PhotoFile,
  variant: ImageVariant,
  pathname: string,
  search: string,
  { signing, sharedPhotos, publicAccess }: AccessRules,
): Access | undefined {
  const query = parseImageQuery(search);
  const current = query.v === file.versionText;
  // A URL naming another key was handed out before the photo was last unpublished: dead for good.
  // (Only a `v` that is not the current one needs reading: the common request skips the regex.)
  if (!current && query.v !== undefined) {
    const claimedKey = urlKeyOf(query.v);
    if (claimedKey !== undefined && claimedKey !== '' && claimedKey !== file.urlKey) {
      spendSignatureCheck(signing.secret, pathname, query.sig);
      return undefined;
    }
  }
  const grant = query.g === 'original' ? 'original' : 'view';
  if (file.isPublic && grant === 'view') return current ? publicAccess.current : publicAccess.revalidated;
  let share: { linkPublicId: string; linkKey: string } | undefined;
  if (query.s !== undefined) {
    const shared = grant === 'view' && PUBLIC_ID_PATTERN.test(query.s) ? sharedPhotos.find(query.s, file.publicId) : undefined;
    if (shared === undefined || (variant === 'original' && !shared.allowOriginals)) {
      spendSignatureCheck(signing.secret, pathname, query.sig);
      return undefined;
    }
    share = { linkPublicId: query.s, linkKey: shared.linkKey };
  }
  const remaining = verifyImageSignature(
    signing.secret,
    { pathname, expiresAt: query.exp, urlKey: file.urlKey, grant, share },
    query.sig,
    Date.now(),
    signing.maxTtlSeconds,
  );
  if (remaining === undefined) return undefined;
  if (share !== undefined) return { untouched: false, policy: SHARED_POLICY };
  const policy = current
    ? { cacheControl: `private, max-age=${remaining}, immutable`, maxAge: remaining }
    : { cacheControl: 'private, no-cache', maxAge: 0 };
  return { untouched: grant === 'original', policy };
}

/**
 * RFC 9110 §15.4.5: a 304 carries exactly the fields a cache updates its stored response from, no
 * representation metadata. Under a policy every holder of the URL shares (not a signed URL's
 * countdown), the block is the same for every revalidation of one file within a second, so it is
 * made once and kept with the file's validators.
 */
function notModifiedHeaders(file: FileValidators, target: Target, keep: boolean): OutgoingHttpHeaders {
  const { cacheControl, maxAge } = target.policy;
  const expiresSecond = maxAge > 0 ? Math.floor(Date.now() / 1000) + maxAge : Number.NaN;
  const key = target.varyAccept ? `${cacheControl}|vary` : cacheControl;
  const kept = keep ? file.notModified?.get(key) : undefined;
  if (kept !== undefined && (maxAge === 0 || kept.expiresSecond === expiresSecond)) return kept.headers;
  const headers: OutgoingHttpHeaders = { ETag: file.etag, 'Cache-Control': cacheControl };
  if (maxAge > 0) headers.Expires = httpDate(expiresSecond * 1000);
  if (target.varyAccept) headers.Vary = 'Accept';
  if (keep) {
    file.notModified ??= new Map();
    file.notModified.set(key, { headers, expiresSecond });
  }
  return headers;
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

/** `GET|HEAD /images/<photoId>/<variant>[.<format>]`: a thin node:http handler, never through Yoga. */
export function createImageRoute({ photos, sharedPhotos, layout, renderer, cache, logger, signing }: ImageRouteDeps) {
  const logRequests = logger.isLevelEnabled('debug');
  const validators = new ValidatorCache();
  const publicAccess = {
    current: { untouched: false, policy: signing.publicPolicy },
    revalidated: { untouched: false, policy: { cacheControl: REVALIDATE, maxAge: 0 } },
  };
  const accessRules: AccessRules = { signing, sharedPhotos, publicAccess };
  /** Policies every holder of a URL gets alike, whose 304 headers can be kept (a signed URL's counts down). */
  const uniformPolicies = new Set([publicAccess.current.policy, publicAccess.revalidated.policy, SHARED_POLICY]);
  function publicOriginalPath(file: PhotoFile, extension: string): string {
    return layout.derivedPath(file.publicId, 'original', file.version, extension);
  }

  function publicOriginalOf(file: PhotoFile): PublicOriginalRender {
    return {
      variant: 'original',
      source: file.originalPath,
      destination: publicOriginalPath(file, publicOriginalFormat(file).extension),
      extension: file.extension,
      orientation: file.orientation,
    };
  }

  /** What makes a missing file: asked only when the stat finds none, never on the common path. */
  function renderRequestFor(file: PhotoFile, variant: ImageVariant, format: ImageFormat | undefined, destination: string): RenderRequest {
    if (variant === 'original' || format === undefined) return publicOriginalOf(file);
    const { source, via } = renditionSource(publicOriginalOf(file));
    const request: RenderRequest = { source, destination, variant, format, width: file.width, height: file.height };
    if (via !== undefined) request.via = { variant: 'original', ...via };
    return request;
  }

  function streamFile(res: ServerResponse, path: string, start: number, end: number, status: number, headers: OutgoingHttpHeaders): void {
    const body = createReadStream(path, { start, end, highWaterMark: HIGH_WATER_MARK });
    body.once('error', (error) => {
      if (res.headersSent) return;
      logger.error({ err: error, path }, 'image file could not be opened');
      sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, false);
    });
    body.once('open', () => {
      res.writeHead(status, headers);
      // pipeline destroys the file stream when the client goes away, so no descriptor leaks.
      pipeline(body, res, (error) => {
        if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn({ err: error, path }, 'image body was cut short');
      });
    });
  }

  async function sendMultipart(res: ServerResponse, target: Target, stats: Stats, ranges: ByteRange[], headers: OutgoingHttpHeaders) {
    const body = multipartBody(ranges, stats.size, target.contentType);
    headers['Content-Type'] = `multipart/byteranges; boundary=${body.boundary}`;
    headers['Content-Length'] = body.length;
    res.writeHead(206, headers);
    try {
      for (const [index, range] of ranges.entries()) {
        res.write(body.heads[index]);
        await pipelineAsync(createReadStream(target.path, { start: range.start, end: range.end }), res, { end: false });
      }
      res.end(body.tail);
    } catch (error) {
      logger.warn({ err: error, path: target.path }, 'multipart image body was cut short');
      res.destroy();
    }
  }

  function sendBody(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    stats: Stats,
    etag: string,
    headers: OutgoingHttpHeaders,
  ): void {
    const range = req.method === 'GET' ? requestHeader(req, 'range') : undefined;
    const ifRange = requestHeader(req, 'if-range');
    const honoured = range !== undefined && (ifRange === undefined || ifRangeMatches(ifRange, etag, stats.mtimeMs, Date.now()));
    const request = honoured ? parseRange(range, stats.size) : { kind: 'full' as const };
    if (request.kind === 'unsatisfiable') {
      // Not the representation itself: never cacheable for a year, whatever the URL's version says.
      sendPlain(res, 416, 'Range not satisfiable', 'no-store', false, {
        'Content-Range': `bytes */${stats.size}`,
        ETag: etag,
        ...(target.varyAccept ? { Vary: 'Accept' } : {}),
      });
      return;
    }
    if (request.kind === 'partial') {
      const ranges = coalesceRanges(request.ranges);
      if (ranges.length > 1) {
        void sendMultipart(res, target, stats, ranges, headers);
        return;
      }
      const only = ranges[0] as ByteRange;
      headers['Content-Range'] = `bytes ${only.start}-${only.end}/${stats.size}`;
      headers['Content-Length'] = only.end - only.start + 1;
      const cached = cache.get(target.path, stats.mtimeMs, stats.size);
      if (cached !== undefined) {
        res.writeHead(206, headers);
        res.end(cached.subarray(only.start, only.end + 1));
        return;
      }
      streamFile(res, target.path, only.start, only.end, 206, headers);
      return;
    }
    headers['Content-Length'] = stats.size;
    if (req.method === 'HEAD' || stats.size === 0) {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    const cached = cache.get(target.path, stats.mtimeMs, stats.size);
    if (cached !== undefined) {
      res.writeHead(200, headers);
      res.end(cached);
      return;
    }
    // Small files are read whole even when they will not be cached: one read beats a stream's set-up.
    if (stats.size > Math.max(cache.maxEntryBytes, WHOLE_READ_BYTES)) {
      streamFile(res, target.path, 0, stats.size - 1, 200, headers);
      return;
    }
    readFile(target.path, (error, data) => {
      // A file replaced between stat and read is streamed as the stat saw it; the next request caches it.
      if (error || data.length !== stats.size) {
        streamFile(res, target.path, 0, stats.size - 1, 200, headers);
        return;
      }
      cache.set(target.path, stats.mtimeMs, data);
      res.writeHead(200, headers);
      res.end(data);
    });
  }

  function respond(req: IncomingMessage, res: ServerResponse, target: Target, stats: Stats): void {
    const known = validators.for(target.path, stats.mtimeMs, stats.size);
    const { etag, lastModified } = known;
    const outcome = evaluatePreconditions(
      {
        ifMatch: requestHeader(req, 'if-match'),
        ifNoneMatch: requestHeader(req, 'if-none-match'),
        ifModifiedSince: requestHeader(req, 'if-modified-since'),
        ifUnmodifiedSince: requestHeader(req, 'if-unmodified-since'),
      },
      etag,
      stats.mtimeMs,
    );
    if (outcome === 'not-modified') {
      res.writeHead(304, notModifiedHeaders(known, target, uniformPolicies.has(target.policy)));
      res.end();
      return;
    }
    const expires = target.policy.maxAge > 0 ? httpDate(Date.now() + target.policy.maxAge * 1000) : undefined;
    if (outcome === 'precondition-failed') {
      sendPlain(res, 412, 'Precondition failed', 'no-store', req.method === 'HEAD', target.varyAccept ? { Vary: 'Accept' } : undefined);
      return;
    }
    const headers: OutgoingHttpHeaders = {
      ETag: etag,
      'Last-Modified': lastModified,
      'Cache-Control': target.policy.cacheControl,
      'Accept-Ranges': 'bytes',
      'X-Content-Type-Options': 'nosniff',
      'Content-Type': target.contentType,
    };
    if (expires !== undefined) headers.Expires = expires;
    if (target.varyAccept) headers.Vary = 'Accept';
    sendBody(req, res, target, stats, etag, headers);
  }

  function renderThenRespond(req: IncomingMessage, res: ServerResponse, target: Target, render: RenderRequest): void {
    const headOnly = req.method === 'HEAD';
    const vary = target.varyAccept ? { Vary: 'Accept' } : undefined;
    renderer.ensure(render).then(
      () => {
        stat(target.path, (error, stats) => {
          if (error) {
            logger.error({ err: error, path: target.path }, 'rendered image vanished');
            sendPlain(res, 500, 'Could not render this image', 'no-store', headOnly, vary);
            return;
          }
          respond(req, res, target, stats);
        });
      },
      (error: unknown) => {
        if (hasErrorCode(error, 'RENDER_BUSY')) {
          sendPlain(res, 503, 'Busy rendering images; retry shortly', 'no-store', headOnly, {
            'Retry-After': RETRY_AFTER_SECONDS,
            ...vary,
          });
          return;
        }
        logger.error({ err: error, source: render.source, destination: render.destination }, 'could not render an image');
        sendPlain(res, 500, 'Could not render this image', 'no-store', headOnly, vary);
      },
    );
  }

  return function handleImage(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
    const headOnly = req.method === 'HEAD';
    if (req.method !== 'GET' && !headOnly) {
      sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: ALLOW });
      return;
    }
    const parsed = parseImagePath(pathname);
    if (parsed.kind === 'malformed') {
      sendPlain(res, 400, 'Bad request: an image URL is /images/<photoId>/<variant>.<format>', 'no-store', headOnly);
      return;
    }
    const varyAccept = parsed.kind === 'image' && parsed.extension === undefined;
    const vary = varyAccept ? { Vary: 'Accept' } : undefined;
    const file = parsed.kind === 'image' ? photos.find(parsed.publicId) : undefined;
    const access =
      file === undefined || parsed.kind !== 'image' ? undefined : accessOf(file, parsed.variant, pathname, search, accessRules);
    // Unknown, unauthorised and wrong-extension answers are identical: existence is not revealed (nor, by time, either).
    if (parsed.kind !== 'image' || file === undefined || access === undefined) {
      if (file === undefined && search.length > 1) spendSignatureCheck(signing.secret, pathname, parseImageQuery(search).sig);
      sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly, vary);
      return;
    }
    const policy = access.policy;
    let target: Target;
    // The rendition's format; undefined for ORIGINAL.
    let format: ImageFormat | undefined;
    if (parsed.variant === 'original') {
      // The uploaded file keeps its format; the copy everyone else gets may not (HEIF becomes JPEG).
      const served = access.untouched ? file : publicOriginalFormat(file);
      if (parsed.extension !== undefined && parsed.extension !== served.extension) {
        sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly, vary);
        return;
      }
      // Everyone but the admin: the same image at full size, without its metadata (GPS, serials).
      const path = access.untouched ? file.originalPath : publicOriginalPath(file, served.extension);
      target = { path, contentType: served.mimeType, policy, varyAccept };
    } else {
      const negotiated = parsed.extension ?? negotiateFormat(requestHeader(req, 'accept'));
      if (!isImageFormat(negotiated)) {
        sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly, vary);
        return;
      }
      format = negotiated;
      target = {
        path: layout.derivedPath(file.publicId, parsed.variant, file.version, format),
        contentType: MIME_TYPES[format],
        policy,
        varyAccept,
      };
    }
    // Synchronous, as nginx does: a stat of a cached inode is a microsecond syscall, while the
    // thread-pool round trip of fs.stat costs several times that on every request.
    let stats: Stats | undefined;
    let failure: NodeJS.ErrnoException | undefined;
    try {
      stats = statSync(target.path, STAT_OPTIONS);
    } catch (error) {
      failure = error as NodeJS.ErrnoException;
    }
    if (stats?.isFile()) {
      if (logRequests) logger.debug({ method: req.method, url: redactCredentials(req.url ?? '') }, 'image request');
      respond(req, res, target, stats);
      return;
    }
    // The uploaded original is never rendered: missing, it is an error below.
    if (stats === undefined && failure === undefined && !(parsed.variant === 'original' && access.untouched)) {
      renderThenRespond(req, res, target, renderRequestFor(file, parsed.variant, format, target.path));
      return;
    }
    logger.error({ err: failure, path: target.path }, 'original is missing for a known photo');
    sendPlain(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly, vary);
  };
}
