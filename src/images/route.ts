import { createReadStream, type Stats, stat } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from '../log.ts';
import { evaluatePreconditions } from './conditional.ts';
import { parseImagePath } from './image-path.ts';
import type { PhotoFile, PhotoFileLookup } from './photo-lookup.ts';
import { verifyImageSignature } from './signing.ts';
import { etagFor, lastModifiedFor } from './validators.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, no-cache';
const NOT_FOUND_CACHE = 'public, max-age=60';
const ALLOW = 'GET, HEAD';
/** Big reads for big files: fewer syscalls and stream ticks per megabyte. */
const HIGH_WATER_MARK = 256 * 1024;

export interface ImageRouteDeps {
  photos: PhotoFileLookup;
  logger: Logger;
  /** Verifies `sig` on URLs of private photos. */
  secret: string;
}

function sendError(res: ServerResponse, status: number, reason: string, cacheControl: string, headOnly: boolean): void {
  const body = `${reason}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': cacheControl,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(headOnly ? undefined : body);
}

/**
 * Public photos: immutable for a year at the current version, else revalidate. Private photos:
 * only with a valid signature, cached privately no longer than it stays valid.
 */
function cacheControlFor(file: PhotoFile, pathname: string, search: string, secret: string): string | undefined {
  const params = search === '' ? undefined : new URLSearchParams(search);
  const current = params?.get('v') === String(file.version);
  if (file.isPublic) return current ? IMMUTABLE : REVALIDATE;
  const remaining = verifyImageSignature(secret, pathname, params?.get('exp') ?? null, params?.get('sig') ?? null, Date.now());
  if (remaining === undefined) return undefined;
  return current ? `private, max-age=${remaining}, immutable` : 'private, no-cache';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `GET|HEAD /images/<photoId>/<variant>.<ext>`: a thin node:http handler, never through Yoga. */
export function createImageRoute({ photos, logger, secret }: ImageRouteDeps) {
  function sendFile(req: IncomingMessage, res: ServerResponse, file: PhotoFile, stats: Stats, cacheControl: string): void {
    const etag = etagFor(stats.mtimeMs, stats.size);
    const headers: Record<string, string | number> = {
      ETag: etag,
      'Last-Modified': lastModifiedFor(stats.mtimeMs),
      'Cache-Control': cacheControl,
      'X-Content-Type-Options': 'nosniff',
    };
    const outcome = evaluatePreconditions(
      {
        ifMatch: header(req, 'if-match'),
        ifNoneMatch: header(req, 'if-none-match'),
        ifModifiedSince: header(req, 'if-modified-since'),
        ifUnmodifiedSince: header(req, 'if-unmodified-since'),
      },
      etag,
      stats.mtimeMs,
    );
    if (outcome === 'not-modified') {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (outcome === 'precondition-failed') {
      sendError(res, 412, 'Precondition failed', 'no-store', req.method === 'HEAD');
      return;
    }
    headers['Content-Type'] = file.mimeType;
    headers['Content-Length'] = stats.size;
    if (req.method === 'HEAD' || stats.size === 0) {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    const body = createReadStream(file.path, { start: 0, end: stats.size - 1, highWaterMark: HIGH_WATER_MARK });
    body.once('error', (error) => {
      if (res.headersSent) return;
      logger.error({ err: error, path: file.path }, 'image file could not be opened');
      sendError(res, 404, 'Not found', NOT_FOUND_CACHE, false);
    });
    body.once('open', () => {
      res.writeHead(200, headers);
      // pipeline destroys the file stream when the client goes away, so no descriptor leaks.
      pipeline(body, res, (error) => {
        if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          logger.warn({ err: error, path: file.path }, 'image body was cut short');
        }
      });
    });
  }

  return function handleImage(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
    const headOnly = req.method === 'HEAD';
    if (req.method !== 'GET' && !headOnly) {
      res.setHeader('Allow', ALLOW);
      sendError(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false);
      return;
    }
    const parsed = parseImagePath(pathname);
    if (parsed.kind === 'malformed') {
      sendError(res, 400, 'Bad request: an image URL is /images/<photoId>/<variant>.<format>', 'no-store', headOnly);
      return;
    }
    const file = parsed.kind === 'image' ? photos.original(parsed.publicId) : undefined;
    if (file === undefined || parsed.kind !== 'image' || parsed.extension !== file.extension) {
      sendError(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly);
      return;
    }
    const cacheControl = cacheControlFor(file, pathname, search, secret);
    if (cacheControl === undefined) {
      // The same answer as an unknown photo: a private photo's existence is not revealed.
      sendError(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly);
      return;
    }
    stat(file.path, (error, stats) => {
      if (error || !stats.isFile()) {
        logger.error({ err: error, path: file.path }, 'original is missing for a known photo');
        sendError(res, 404, 'Not found', NOT_FOUND_CACHE, headOnly);
        return;
      }
      logger.debug({ method: req.method, url: req.url }, 'image request');
      sendFile(req, res, file, stats, cacheControl);
    });
  };
}
