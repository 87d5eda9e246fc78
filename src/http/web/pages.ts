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
import { escapeHtml, type PageShell, Placeholders, renderPage, type TileOptions, tileHtml } from './html.ts';
import {
  ALBUM_PAGE,
  ALBUMS_PAGE,
  type AlbumPageData,
  type AlbumsPageData,
  PHOTO_PAGE,
  type PhotoPageData,
  runQuery,
  SHARED_PAGE,
} from './queries.ts';

/** The longest form body read: a password of the longest length allowed, encoded. */
const MAX_FORM_BYTES = 16 * 1024;

/** Anonymous pages change whenever the library does: always revalidated. A share link's pages are the holder's alone. */
const PUBLIC_PAGE = 'no-cache';
const PRIVATE_PAGE = 'private, no-store';

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

interface Viewing {
  context: GraphQLContext;
  /** For a share link: the prefix of every page under it, and what its pages carry along. */
  share?: { base: string; header: string; unlock: string | undefined };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function dateOf(takenAt: string): string {
  const [date, time] = takenAt.split('T');
  return `${date} ${time?.slice(0, 5) ?? ''}`.trim();
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

/** A path segment as the id it spells; one no id could be spelled by (bad percent-encoding) names nothing, like a missing id. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw NOT_FOUND;
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

/**
 * The built-in gallery: `/` (public albums), `/albums/<id>`, `/photos/<id>`, and `/s/<token>`
 * (a shared album, `/s/<token>/photos/<id>` its photos). Server-rendered from the GraphQL schema,
 * working without JavaScript (pagination by cursor links); no cookie, no admin token, a strict
 * CSP. A link with a password shows a form; the right password redirects to the same page with
 * the unlock credential in `?unlock=` (an hour's worth), which the page's links carry along.
 */
export function createWebPages({ shares, contexts, logger }: WebPagesDeps) {
  const assets: WebAssets = webAssets();

  function shell(page: Omit<PageShell, 'stylesheet' | 'script'>): PageShell {
    return { ...page, stylesheet: assets.url('gallery.css'), script: assets.url('gallery.js') };
  }

  function send(
    res: ServerResponse,
    status: number,
    page: PageShell,
    cacheControl: string,
    headOnly: boolean,
    extra: Record<string, string> = {},
  ): void {
    const { html, contentSecurityPolicy } = renderPage(page);
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

  function errorPage(error: PageError): PageShell {
    return shell({
      title: error.heading,
      main: { 'data-page': 'error' },
      body: `<h1>${escapeHtml(error.heading)}</h1><p>${escapeHtml(error.detail)}</p>`,
    });
  }

  function pager(href: string, after: string | null, label: string): string {
    if (after === null) return '';
    return `<nav class="pager"><a rel="next" href="${escapeHtml(href)}" data-after="${escapeHtml(after)}">${label}</a></nav>`;
  }

  function withQuery(path: string, params: Record<string, string | undefined>): string {
    const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const text = query.toString();
    return text === '' ? path : `${path}?${text}`;
  }

  async function home(viewing: Viewing, search: URLSearchParams): Promise<PageShell> {
    const data = checked(await runQuery<AlbumsPageData>(ALBUMS_PAGE, { after: search.get('after') }, viewing.context));
    const placeholders = new Placeholders();
    const tiles = data.page.edges
      .filter((edge) => edge.node.cover !== null)
      .map((edge, index) => {
        const album = edge.node;
        const caption = `<span class="title">${escapeHtml(album.title)}</span><span class="muted">${plural(album.photoCount, 'photo')}</span>`;
        const options: TileOptions = { href: `/albums/${encodeURIComponent(album.id)}`, caption, index, placeholders };
        return tileHtml(album.cover as NonNullable<typeof album.cover>, options);
      });
    const { hasNextPage, endCursor } = data.page.pageInfo;
    const body =
      tiles.length === 0
        ? '<h1>Albums</h1><p>No public albums yet.</p>'
        : `<h1>Albums</h1><ul class="grid albums">${tiles.join('')}</ul>${hasNextPage ? pager(withQuery('/', { after: endCursor ?? undefined }), endCursor, 'More albums') : ''}`;
    return shell({
      title: 'Albums',
      main: { 'data-page': 'albums' },
      body,
      placeholders,
      nextPage: hasNextPage ? { query: ALBUMS_PAGE, variables: {} } : undefined,
    });
  }

  /** A grid of an album's photos: public albums at /albums/<id>, a shared one at /s/<token>. */
  async function album(viewing: Viewing, id: string | undefined, search: URLSearchParams): Promise<PageShell> {
    const after = search.get('after');
    const result =
      id === undefined
        ? await runQuery<AlbumPageData>(SHARED_PAGE, { after }, viewing.context)
        : await runQuery<AlbumPageData>(ALBUM_PAGE, { id, after }, viewing.context);
    const found = checked(result).album;
    if (found === null) throw NOT_FOUND;
    const share = viewing.share;
    const placeholders = new Placeholders();
    const photoBase = share === undefined ? '/photos/' : `${share.base}/photos/`;
    const tiles = found.page.edges.map((edge, index) =>
      tileHtml(edge.node, {
        href: withQuery(`${photoBase}${encodeURIComponent(edge.node.id)}`, {
          album: share === undefined ? found.id : undefined,
          at: edge.cursor,
          unlock: share?.unlock,
        }),
        index,
        placeholders,
      }),
    );
    const { hasNextPage, endCursor } = found.page.pageInfo;
    const here = share === undefined ? `/albums/${encodeURIComponent(found.id)}` : share.base;
    const description = found.description === '' ? '' : `<p>${escapeHtml(found.description)}</p>`;
    const shared = share === undefined ? '' : ', shared with you';
    const body = `<h1>${escapeHtml(found.title)}</h1>${description}<p class="muted">${plural(found.photoCount, 'photo')}${shared}</p><ul class="grid">${tiles.join('')}</ul>${
      hasNextPage ? pager(withQuery(here, { unlock: share?.unlock, after: endCursor ?? undefined }), endCursor, 'More photos') : ''
    }`;
    return shell({
      title: found.title,
      main: {
        'data-page': share === undefined ? 'album' : 'shared',
        'data-album': found.id,
        'data-share': share?.header,
        'data-unlock': share?.unlock,
      },
      body,
      placeholders,
      home: share === undefined ? undefined : { href: withQuery(share.base, { unlock: share.unlock }), label: found.title },
      nextPage: hasNextPage
        ? { query: share === undefined ? ALBUM_PAGE : SHARED_PAGE, variables: share === undefined ? { id: found.id } : {} }
        : undefined,
    });
  }

  async function photo(viewing: Viewing, id: string, search: URLSearchParams): Promise<PageShell> {
    const share = viewing.share;
    const albumId = share === undefined ? albumContext(search) : await sharedAlbumId(viewing);
    const at = search.get('at');
    const inAlbum = albumId !== null && albumId !== undefined && at !== null;
    const data = checked(await runQuery<PhotoPageData>(PHOTO_PAGE, { id, album: albumId ?? '', at, inAlbum }, viewing.context));
    const found = data.photo;
    if (found === null) throw NOT_FOUND;
    const placeholders = new Placeholders();
    const alt = found.description || found.title;
    const sizes = `(max-width: ${found.large.width}px) 100vw, ${found.large.width}px`;
    const picture =
      `<picture><source type="image/avif" srcset="${escapeHtml(found.avif)}" sizes="${sizes}"><source type="image/webp" srcset="${escapeHtml(found.webp)}" sizes="${sizes}">` +
      `<img src="${escapeHtml(found.large.url)}" srcset="${escapeHtml(found.jpg)}" sizes="${sizes}" width="${found.large.width}" height="${found.large.height}" alt="${escapeHtml(alt)}" fetchpriority="high" decoding="async"${
        placeholders.classFor(found.placeholder?.dominantColor) ? ` class="${placeholders.classFor(found.placeholder?.dominantColor)}"` : ''
      }></picture>`;
    const facts: string[] = [];
    if (found.takenAt !== null) facts.push(`Taken ${escapeHtml(dateOf(found.takenAt))}`);
    const camera = [found.camera?.make, found.camera?.model].filter((part) => part).join(' ');
    if (camera !== '') facts.push(escapeHtml(camera));
    const exposure = found.exposure;
    if (exposure !== null) {
      const parts = [
        exposure.shutterSpeed && `${exposure.shutterSpeed} s`,
        exposure.fNumber && `f/${exposure.fNumber}`,
        exposure.iso && `ISO ${exposure.iso}`,
        exposure.focalLength && `${exposure.focalLength} mm`,
      ];
      const text = parts.filter((part) => part).join(' · ');
      if (text !== '') facts.push(escapeHtml(text));
    }
    const context = data.album;
    const base = share === undefined ? '/photos/' : `${share.base}/photos/`;
    const link = (edge: { cursor: string; node: { id: string } } | undefined, rel: 'prev' | 'next', label: string) =>
      edge === undefined
        ? `<span></span>`
        : `<a rel="${rel}" href="${escapeHtml(withQuery(`${base}${encodeURIComponent(edge.node.id)}`, { album: share === undefined ? context?.id : undefined, at: edge.cursor, unlock: share?.unlock }))}">${label}</a>`;
    const up =
      share !== undefined
        ? withQuery(share.base, { unlock: share.unlock })
        : context !== null && context !== undefined
          ? `/albums/${encodeURIComponent(context.id)}`
          : undefined;
    const nav =
      context !== null && context !== undefined
        ? `<nav class="pager">${link(context.previous.edges[0], 'prev', '← Previous')}<a rel="up" href="${escapeHtml(up ?? '/')}">${escapeHtml(context.title)}</a>${link(context.next.edges[0], 'next', 'Next →')}</nav>`
        : up === undefined
          ? ''
          : `<nav class="pager"><a rel="up" href="${escapeHtml(up)}">Back to the album</a></nav>`;
    const description = found.description === '' ? '' : `<p>${escapeHtml(found.description)}</p>`;
    const body = `<article class="photo"><figure>${picture}<figcaption><h1>${escapeHtml(found.title)}</h1>${description}${
      facts.length === 0 ? '' : `<p class="muted">${facts.join(' · ')}</p>`
    }</figcaption></figure>${nav}</article>`;
    return shell({
      title: found.title,
      main: { 'data-page': 'photo', 'data-share': share?.header },
      body,
      placeholders,
      home: share === undefined ? undefined : { href: up ?? share.base, label: context?.title ?? 'Shared album' },
    });
  }

  async function sharedAlbumId(viewing: Viewing): Promise<string | undefined> {
    const result = await runQuery<{ sharedAlbum: { id: string } | null }>(
      'query WebSharedAlbumId { sharedAlbum { id } }',
      {},
      viewing.context,
    );
    return checked(result).sharedAlbum?.id;
  }

  function passwordForm(token: string, message: string | undefined): PageShell {
    const error = message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`;
    return shell({
      title: 'Password needed',
      main: { 'data-page': 'password' },
      body: `<h1>This album is protected by a password</h1>${error}<form method="post" action="/s/${token}"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required autofocus><button type="submit">Open</button></form>`,
    });
  }

  async function unlock(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const form = await readForm(req);
    const password = form?.get('password');
    if (password === null || password === undefined) {
      send(res, 400, passwordForm(token, 'Enter the password.'), PRIVATE_PAGE, false);
      return;
    }
    try {
      const unlocked = await shares.unlock(token, password, req.socket.remoteAddress ?? '');
      res.writeHead(303, {
        Location: `/s/${token}?unlock=${encodeURIComponent(unlocked.credential)}`,
        'Content-Length': 0,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      res.end();
    } catch (error) {
      if (!(error instanceof LightboxError)) throw error;
      if (error.code === 'SHARE_LINK_NOT_FOUND') send(res, 404, errorPage(LINK_GONE), PRIVATE_PAGE, false);
      else if (error instanceof RateLimitedError)
        send(res, 429, passwordForm(token, error.message), PRIVATE_PAGE, false, { 'Retry-After': String(error.retryAfterSeconds) });
      else send(res, 401, passwordForm(token, 'That password is not right.'), PRIVATE_PAGE, false);
    }
  }

  /** What `/s/<token>[/photos/<id>]` opens: the link's grant, a password form, or nothing. */
  function shareViewing(
    req: IncomingMessage,
    token: string,
    search: URLSearchParams,
  ): { viewing: Viewing } | { locked: true } | { gone: true } {
    const unlockValue = search.get('unlock') ?? undefined;
    const share: ShareResolution = shares.resolve(unlockValue ?? token);
    // An unlock belongs to its link: under another link's token it opens nothing.
    if (share.kind === 'unknown' || share.kind === 'none' || (unlockValue !== undefined && share.link.tokenHash !== shareTokenHash(token)))
      return { gone: true };
    if (share.kind === 'locked') return { locked: true };
    const context = contexts({
      viewer: ANONYMOUS,
      share,
      signal: AbortSignal.timeout(10_000),
      clientAddress: req.socket.remoteAddress ?? '',
    });
    return { viewing: { context, share: { base: `/s/${token}`, header: unlockValue ?? token, unlock: unlockValue } } };
  }

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    search: URLSearchParams,
    headOnly: boolean,
  ): Promise<void> {
    const share = /^\/s\/([^/]+)(?:\/photos\/([^/]+))?$/.exec(pathname);
    if (share !== null) {
      const token = share[1] as string;
      if (!SHARE_TOKEN_PATTERN.test(token)) {
        req.resume();
        send(res, 404, errorPage(LINK_GONE), PRIVATE_PAGE, headOnly);
        return;
      }
      if (req.method === 'POST' && share[2] === undefined) return unlock(req, res, token);
      const opened = shareViewing(req, token, search);
      if ('gone' in opened) return send(res, 404, errorPage(LINK_GONE), PRIVATE_PAGE, headOnly);
      if ('locked' in opened) {
        const expired = search.has('unlock') ? 'That unlock has run out: enter the password again.' : undefined;
        return send(res, 200, passwordForm(token, expired), PRIVATE_PAGE, headOnly);
      }
      const page =
        share[2] === undefined
          ? await album(opened.viewing, undefined, search)
          : await photo(opened.viewing, decodedSegment(share[2]), search);
      return send(res, 200, page, PRIVATE_PAGE, headOnly);
    }
    if (req.method === 'POST') {
      sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
      return;
    }
    const viewing: Viewing = {
      context: contexts({
        viewer: ANONYMOUS,
        share: { kind: 'none' },
        signal: AbortSignal.timeout(10_000),
        clientAddress: req.socket.remoteAddress ?? '',
      }),
    };
    const albumMatch = /^\/albums\/([^/]+)$/.exec(pathname);
    const photoMatch = /^\/photos\/([^/]+)$/.exec(pathname);
    let page: PageShell;
    if (pathname === '/') page = await home(viewing, search);
    else if (albumMatch !== null) page = await album(viewing, decodedSegment(albumMatch[1] as string), search);
    else if (photoMatch !== null) page = await photo(viewing, decodedSegment(photoMatch[1] as string), search);
    else throw NOT_FOUND;
    send(res, 200, page, PUBLIC_PAGE, headOnly);
  }

  return {
    /** Whether the gallery answers this path (the server sends everything else elsewhere). */
    handles(pathname: string): boolean {
      return (
        pathname === '/' ||
        pathname.startsWith('/albums/') ||
        pathname.startsWith('/photos/') ||
        pathname.startsWith('/s/') ||
        pathname.startsWith(assets.prefix)
      );
    },
    handle(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): void {
      if (pathname.startsWith(assets.prefix)) {
        assets.serve(req, res, pathname, query).catch((error: unknown) => {
          logger.error({ err: error }, 'gallery asset failed');
          if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
        });
        return;
      }
      const headOnly = req.method === 'HEAD';
      if (req.method !== 'GET' && !headOnly && req.method !== 'POST') {
        sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
        return;
      }
      const search = new URLSearchParams(query);
      route(req, res, pathname, search, headOnly).catch((error: unknown) => {
        if (error instanceof PageError) {
          send(res, error.status, errorPage(error), 'no-store', headOnly);
          return;
        }
        // The path of a share link's page is its token: the log keeps the route, not the key.
        logger.error({ err: error, path: redactCredentials(pathname) }, 'gallery page failed');
        if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
        else res.destroy();
      });
    },
  };
}
