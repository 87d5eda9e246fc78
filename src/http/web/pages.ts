import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { SHARE_TOKEN_PATTERN, shareTokenHash } from '../../auth/share-tokens.ts';
import { ANONYMOUS } from '../../auth/viewer.ts';
import type { ShareAccess, ShareResolution } from '../../catalog/share-access.ts';
import { LightboxError, RateLimitedError } from '../../errors.ts';
import type { GraphQLContext, RequestIdentity } from '../../graphql/context.ts';
import type { Logger } from '../../log.ts';
import { sendPlain } from '../plain-response.ts';
import { redactCredentials } from '../redact-url.ts';
import { type WebAssets, webAssets } from './assets.ts';
import { renderPage } from './html.ts';
import { PAGE_DOCUMENTS, runQuery } from './queries.ts';
import { albumsView, albumView, errorView, type PageView, passwordView, photoView, type ShareLinks } from './views.ts';

/**
 * The built-in gallery: `/` (public albums), `/albums/<id>`, `/photos/<id>`, and `/s/<token>`
 * (a shared album, `/s/<token>/photos/<id>` its photos). Server-rendered from the GraphQL schema,
 * working without JavaScript (pagination by cursor links); no cookie, no admin token, a strict
 * CSP. A link with a password shows a form; the right password redirects to the same page with
 * the unlock credential in `?unlock=` (an hour's worth), which the page's links carry along.
 *
 * A request for a page goes through these steps, in this order, each defined below the last:
 *
 * 1. `resolveTarget`: which page, with which ids, token and cursors, from the method, path and
 *    query alone (nothing is looked up).
 * 2. `authorise`: who is viewing: anonymous, or a share link's holder as catalog/share-access.ts
 *    resolves the link (what either may see is catalog/access.ts's, through the schema).
 * 3. No conditional step: the pages carry no validator (no ETag, no 304). Public pages are
 *    `no-cache`, a share link's `private, no-store`.
 * 4. `respond`: the status and cache rule of what the viewer gets (the page, a password form, or
 *    the gone link); the password form's POST is `unlock`'s.
 * 5. `renderView`: the page's document run as the viewer, its answer made markup (views.ts), sent
 *    as one document with its CSP (`sendPage`, html.ts).
 */

/** The longest form body read: a password of the longest length allowed, encoded. */
const MAX_FORM_BYTES = 16 * 1024;

/** Anonymous pages change whenever the library does: always revalidated. A share link's pages are the holder's alone. */
const PUBLIC_PAGE = 'no-cache';
const PRIVATE_PAGE = 'private, no-store';

/** How long a page's queries may run. */
const PAGE_DEADLINE_MS = 10_000;

const SHARE_PATH = /^\/s\/([^/]+)(?:\/photos\/([^/]+))?$/;
const ALBUM_PATH = /^\/albums\/([^/]+)$/;
const PHOTO_PATH = /^\/photos\/([^/]+)$/;

/** A failure a visitor can cause (a missing page, a bad cursor): thrown, and answered with its page, never logged. */
class PageError extends Error {
  constructor(
    readonly status: 400 | 404,
    readonly heading: string,
    readonly detail: string,
  ) {
    super(heading);
  }
}

const NOT_FOUND = new PageError(404, 'Nothing here', 'This page does not exist, or it is not shared with you.');
const LINK_GONE = new PageError(
  404,
  'This link does not open anything',
  'It does not exist, or it was revoked or has expired. Ask whoever sent it for a new one.',
);
const BAD_PAGE = new PageError(
  400,
  'That page of the album does not exist',
  'The link was changed or is from another server. Start from the first page.',
);

export interface WebPagesDeps {
  shares: ShareAccess;
  contexts: (identity: RequestIdentity) => GraphQLContext;
  logger: Logger;
}

/** What every step is handed: the server's dependencies and the gallery's assets, made once per server. */
interface WebPageDeps extends WebPagesDeps {
  assets: WebAssets;
}

export interface WebPages {
  /** Whether the gallery answers this path (the server sends everything else elsewhere). */
  handles(pathname: string): boolean;
  /** Answers a request for a path it `handles`; `query` is the URL's query string, without its `?`. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): void;
}

/**
 * A page as its path and query name it. An id is `null` when its segment spells none (bad
 * percent-encoding): it names nothing, like a missing id, but only once the viewer is known.
 */
type PageRequest =
  | { page: 'albums'; after: string | null }
  | { page: 'album'; id: string | null; after: string | null }
  | { page: 'photo'; id: string | null; album: string | null; at: string | null };
type SharedPageRequest = { page: 'shared-album'; after: string | null } | { page: 'shared-photo'; id: string | null; at: string | null };

/** What a request asks for, from its method, path and query alone. */
type Target =
  | { kind: 'public'; request: PageRequest }
  | { kind: 'shared'; token: string; unlock: string | undefined; request: SharedPageRequest }
  | { kind: 'unlock'; token: string }
  | { kind: 'link-gone' }
  | { kind: 'method-not-allowed' };

type PageTarget = Extract<Target, { kind: 'public' | 'shared' }>;

interface Viewing {
  context: GraphQLContext;
  /** For a share link: the prefix of every page under it, and what its pages carry along. */
  share?: ShareLinks;
}

/** Who is viewing, or why nobody is: a link that opens nothing, or one whose password is still to be given. */
type Access = { kind: 'viewing'; viewing: Viewing } | { kind: 'gone' } | { kind: 'locked'; token: string; retry: boolean };

const GONE: Access = { kind: 'gone' };
const METHOD_NOT_ALLOWED: Target = { kind: 'method-not-allowed' };
const LINK_GONE_TARGET: Target = { kind: 'link-gone' };

export function createWebPages(options: WebPagesDeps): WebPages {
  const deps: WebPageDeps = { shares: options.shares, contexts: options.contexts, logger: options.logger, assets: webAssets() };
  return {
    handles: (pathname) => handles(deps, pathname),
    handle: (req, res, pathname, query) => handle(deps, req, res, pathname, query),
  };
}

function handles(deps: WebPageDeps, pathname: string): boolean {
  return (
    pathname === '/' ||
    pathname.startsWith('/albums/') ||
    pathname.startsWith('/photos/') ||
    pathname.startsWith('/s/') ||
    deps.assets.handles(pathname)
  );
}

/** Assets apart, every gallery request is a page. */
function handle(deps: WebPageDeps, req: IncomingMessage, res: ServerResponse, pathname: string, query: string): void {
  if (deps.assets.handles(pathname)) void serveAsset(deps, req, res, pathname, query);
  else void servePage(deps, req, res, pathname, new URLSearchParams(query));
}

async function serveAsset(deps: WebPageDeps, req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void> {
  try {
    await deps.assets.serve(req, res, pathname, query);
  } catch (error) {
    deps.logger.error({ err: error }, 'gallery asset failed');
    if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
  }
}

/** A page, step by step; a visitor's mistake answers with its error page, anything else is a 500 logged without its token. */
async function servePage(
  deps: WebPageDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  search: URLSearchParams,
): Promise<void> {
  const headOnly = req.method === 'HEAD';
  try {
    const target = resolveTarget(req.method, pathname, search);
    switch (target.kind) {
      case 'method-not-allowed':
        return sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
      case 'link-gone':
        req.resume();
        return sendPage(deps, res, 404, errorView(LINK_GONE), PRIVATE_PAGE, headOnly);
      case 'unlock':
        return await unlock(deps, req, res, target.token);
      case 'public':
      case 'shared':
        return await respond(deps, res, target, authorise(deps, req, target), headOnly);
    }
  } catch (error) {
    if (error instanceof PageError) return sendPage(deps, res, error.status, errorView(error), 'no-store', headOnly);
    // The path of a share link's page is its token: the log keeps the route, not the key.
    deps.logger.error({ err: error, path: redactCredentials(pathname) }, 'gallery page failed');
    if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
    else res.destroy();
  }
}

/** Step 1: what the request asks for. A path that names no page throws the missing page. */
function resolveTarget(method: string | undefined, pathname: string, search: URLSearchParams): Target {
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return METHOD_NOT_ALLOWED;
  const shared = SHARE_PATH.exec(pathname);
  if (shared !== null) return sharedTarget(method, shared[1] as string, shared[2], search);
  if (method === 'POST') return METHOD_NOT_ALLOWED;
  if (pathname === '/') return { kind: 'public', request: { page: 'albums', after: search.get('after') } };
  const album = ALBUM_PATH.exec(pathname);
  if (album !== null)
    return { kind: 'public', request: { page: 'album', id: decodedSegment(album[1] as string), after: search.get('after') } };
  const photo = PHOTO_PATH.exec(pathname);
  if (photo !== null) {
    const request: PageRequest = {
      page: 'photo',
      id: decodedSegment(photo[1] as string),
      album: albumContext(search),
      at: search.get('at'),
    };
    return { kind: 'public', request };
  }
  throw NOT_FOUND;
}

/**
 * `/s/<token>[/photos/<segment>]`. Only the album's path takes a POST (its password form's), and
 * that is told from the path alone, whatever the token, as on every other page; past it, a token
 * no link could have opens nothing.
 */
function sharedTarget(method: 'GET' | 'HEAD' | 'POST', token: string, photo: string | undefined, search: URLSearchParams): Target {
  if (method === 'POST' && photo !== undefined) return METHOD_NOT_ALLOWED;
  if (!SHARE_TOKEN_PATTERN.test(token)) return LINK_GONE_TARGET;
  if (method === 'POST') return { kind: 'unlock', token };
  const unlock = search.get('unlock') ?? undefined;
  const request: SharedPageRequest =
    photo === undefined
      ? { page: 'shared-album', after: search.get('after') }
      : { page: 'shared-photo', id: decodedSegment(photo), at: search.get('at') };
  return { kind: 'shared', token, unlock, request };
}

/** A path segment as the id it spells; `null` for one no id could be spelled by (bad percent-encoding). */
function decodedSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * A photo page's `?album=`, the album its previous and next links walk: only an album's global
 * id. Anything else gives no album, as a missing or hidden album does, so the photo shows
 * either way (and a wrong one is never an error the page could be asked for by a stranger).
 */
function albumContext(search: URLSearchParams): string | null {
  const value = search.get('album');
  if (value === null) return null;
  try {
    return decodeGlobalID(value).typename === 'Album' ? value : null;
  } catch {
    return null;
  }
}

/** Step 2: who is viewing. Anonymous on the public pages; under `/s/<token>`, whatever the link (or its unlock) opens. */
function authorise(deps: WebPageDeps, req: IncomingMessage, target: PageTarget): Access {
  if (target.kind === 'public') return { kind: 'viewing', viewing: { context: contextFor(deps, req, { kind: 'none' }) } };
  const { token, unlock } = target;
  const share = deps.shares.resolve(unlock ?? token);
  // An unlock belongs to its link: under another link's token it opens nothing.
  if (share.kind === 'unknown' || share.kind === 'none' || (unlock !== undefined && share.link.tokenHash !== shareTokenHash(token)))
    return GONE;
  if (share.kind === 'locked') return { kind: 'locked', token, retry: unlock !== undefined };
  const viewing = { context: contextFor(deps, req, share), share: { base: `/s/${token}`, header: unlock ?? token, unlock } };
  return { kind: 'viewing', viewing };
}

function contextFor(deps: WebPageDeps, req: IncomingMessage, share: ShareResolution): GraphQLContext {
  return deps.contexts({
    viewer: ANONYMOUS,
    share,
    signal: AbortSignal.timeout(PAGE_DEADLINE_MS),
    clientAddress: req.socket.remoteAddress ?? '',
  });
}

/** Step 4: what the viewer gets, with its status and cache rule. */
async function respond(deps: WebPageDeps, res: ServerResponse, target: PageTarget, access: Access, headOnly: boolean): Promise<void> {
  if (access.kind === 'gone') return sendPage(deps, res, 404, errorView(LINK_GONE), PRIVATE_PAGE, headOnly);
  if (access.kind === 'locked') {
    const expired = access.retry ? 'That unlock has run out: enter the password again.' : undefined;
    return sendPage(deps, res, 200, passwordView(access.token, expired), PRIVATE_PAGE, headOnly);
  }
  const page = await renderView(target.request, access.viewing);
  sendPage(deps, res, 200, page, target.kind === 'public' ? PUBLIC_PAGE : PRIVATE_PAGE, headOnly);
}

/** `POST /s/<token>`: the password form's answer, a redirect that carries the unlock, or the form again with why. */
async function unlock(deps: WebPageDeps, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  const form = await readForm(req);
  const password = form?.get('password');
  if (password === null || password === undefined) {
    sendPage(deps, res, 400, passwordView(token, 'Enter the password.'), PRIVATE_PAGE, false);
    return;
  }
  try {
    const unlocked = await deps.shares.unlock(token, password, req.socket.remoteAddress ?? '');
    res.writeHead(303, {
      Location: `/s/${token}?unlock=${encodeURIComponent(unlocked.credential)}`,
      'Content-Length': 0,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    res.end();
  } catch (error) {
    if (!(error instanceof LightboxError)) throw error;
    if (error.code === 'SHARE_LINK_NOT_FOUND') sendPage(deps, res, 404, errorView(LINK_GONE), PRIVATE_PAGE, false);
    else if (error instanceof RateLimitedError)
      sendPage(deps, res, 429, passwordView(token, error.message), PRIVATE_PAGE, false, { 'Retry-After': String(error.retryAfterSeconds) });
    else sendPage(deps, res, 401, passwordView(token, 'That password is not right.'), PRIVATE_PAGE, false);
  }
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    req.once('end', () => resolve(size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.once('error', () => resolve(undefined));
  });
}

/** Step 5: the page's document, run as the viewer (what it may see is the schema's to say), made markup. */
async function renderView(request: PageRequest | SharedPageRequest, viewing: Viewing): Promise<PageView> {
  const { context, share } = viewing;
  switch (request.page) {
    case 'albums':
      return albumsView(checked(await runQuery(PAGE_DOCUMENTS.albums, { after: request.after }, context)));
    case 'album': {
      const id = named(request.id);
      return albumView(found(checked(await runQuery(PAGE_DOCUMENTS.album, { id, after: request.after }, context)).album), share);
    }
    case 'shared-album':
      return albumView(found(checked(await runQuery(PAGE_DOCUMENTS.shared, { after: request.after }, context)).album), share);
    case 'photo':
      return photoPage(viewing, named(request.id), request.album, request.at);
    case 'shared-photo': {
      const id = named(request.id);
      return photoPage(viewing, id, await sharedAlbumId(context), request.at);
    }
  }
}

/** A photo's page; with an album and the photo's cursor in it (`at`), its previous and next in that album. */
async function photoPage(viewing: Viewing, id: string, albumId: string | null, at: string | null): Promise<PageView> {
  const inAlbum = albumId !== null && at !== null;
  const data = checked(await runQuery(PAGE_DOCUMENTS.photo, { id, album: albumId ?? '', at, inAlbum }, viewing.context));
  return photoView(found(data.photo), data.album, viewing.share);
}

async function sharedAlbumId(context: GraphQLContext): Promise<string | null> {
  return checked(await runQuery(PAGE_DOCUMENTS.sharedAlbumId, {}, context)).sharedAlbum?.id ?? null;
}

/** An id from the path; one that spelled none names nothing. */
function named(id: string | null): string {
  if (id === null) throw NOT_FOUND;
  return id;
}

/** What the query found; nothing (missing, or hidden from this viewer, alike) is the missing page. */
function found<T>(value: T | null): T {
  if (value === null) throw NOT_FOUND;
  return value;
}

/** Throws the page's answer for failures a visitor can cause (bad id, bad cursor); anything else is a bug. */
function checked<T>(result: { data: T | undefined; errors: readonly { message: string; extensions?: Record<string, unknown> }[] }): T {
  const codes = result.errors.map((error) => error.extensions?.code);
  if (codes.includes('INVALID_CURSOR')) throw BAD_PAGE;
  if (codes.includes('INVALID_ID')) throw NOT_FOUND;
  if (result.errors.length > 0 || result.data === undefined)
    throw new Error(`page query failed: ${result.errors.map((error) => error.message).join('; ')}`);
  return result.data;
}

/** One whole document, with the headers every gallery page has (its CSP, no Referer, no sniffing). */
function sendPage(
  deps: WebPageDeps,
  res: ServerResponse,
  status: number,
  view: PageView,
  cacheControl: string,
  headOnly: boolean,
  extra: Record<string, string> = {},
): void {
  const { html, contentSecurityPolicy } = renderPage({
    ...view,
    stylesheet: deps.assets.url('gallery.css'),
    script: deps.assets.url('gallery.js'),
    icon: deps.assets.url('favicon.svg'),
  });
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Content-Security-Policy': contentSecurityPolicy,
    // Share links carry their token in the path: it must never leave in a Referer.
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': cacheControl,
    ...extra,
  });
  res.end(headOnly ? undefined : html);
}
