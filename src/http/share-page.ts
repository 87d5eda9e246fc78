import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, parse } from 'graphql';
import type { ShareAccess } from '../auth/share-access.ts';
import { SHARE_TOKEN_PATTERN, shareTokenHash } from '../auth/share-tokens.ts';
import { ANONYMOUS } from '../auth/viewer.ts';
import { LightboxError, RateLimitedError } from '../errors.ts';
import type { GraphQLContext, RequestIdentity } from '../graphql/context.ts';
import { schema } from '../graphql/schema.ts';
import type { Logger } from '../log.ts';
import { sendPlain } from './plain-response.ts';

export const SHARE_PAGE_PREFIX = '/s/';

/** The longest form body read: a password of the longest length allowed, encoded. */
const MAX_FORM_BYTES = 16 * 1024;
const PAGE_SIZE = 60;

/** The page is the schema's client like any other: it asks only what a GraphQL client could. */
const SHARE_PAGE_QUERY = parse(`
  query SharePage($after: String) {
    sharedAlbum {
      title
      description
      photoCount
      photos(first: ${PAGE_SIZE}, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          title
          description
          small: image(variant: SMALL, format: JPG) { url width height }
          large: image(variant: LARGE, format: JPG) { url }
        }
      }
    }
  }
`);

interface SharePageData {
  sharedAlbum: {
    title: string;
    description: string;
    photoCount: number;
    photos: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: {
        title: string;
        description: string;
        small: { url: string; width: number; height: number };
        large: { url: string };
      }[];
    };
  } | null;
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem;color:#1a1a1a;background:#fff}
ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.5rem}
img{width:100%;height:auto;display:block;background:#ddd}a{color:#0645ad}a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #0645ad;outline-offset:2px}
form{display:flex;gap:.5rem;flex-wrap:wrap}input{font:inherit;padding:.4rem}button{font:inherit;padding:.4rem 1rem}.error{color:#b00020}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No script, nothing from elsewhere, the one stylesheet by its hash; the token in the URL never leaves in a Referer. */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; img-src 'self'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'private, no-store',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}

function send(res: ServerResponse, status: number, html: string, headOnly: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Length': Buffer.byteLength(html), ...extra });
  res.end(headOnly ? undefined : html);
}

const GONE = page(
  'Link not found',
  '<h1>This link does not open anything</h1><p>It does not exist, or it was revoked or has expired. Ask whoever sent it for a new one.</p>',
);

function passwordForm(token: string, message: string | undefined): string {
  const error = message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`;
  return page(
    'Password needed',
    `<h1>This album is protected by a password</h1>${error}
<form method="post" action="${SHARE_PAGE_PREFIX}${token}"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus><button type="submit">Open</button></form>`,
  );
}

function albumPage(token: string, unlock: string | undefined, album: NonNullable<SharePageData['sharedAlbum']>): string {
  const items = album.photos.nodes
    .map((photo, index) => {
      const alt = photo.description || photo.title;
      return `<li><a href="${escapeHtml(photo.large.url)}"><img src="${escapeHtml(photo.small.url)}" width="${photo.small.width}" height="${photo.small.height}" alt="${escapeHtml(alt)}"${index < 8 ? '' : ' loading="lazy"'}></a></li>`;
    })
    .join('\n');
  const { endCursor, hasNextPage } = album.photos.pageInfo;
  const query = (after: string) =>
    `?${unlock === undefined ? '' : `unlock=${encodeURIComponent(unlock)}&`}after=${encodeURIComponent(after)}`;
  const more =
    hasNextPage && endCursor !== null ? `<p><a href="${SHARE_PAGE_PREFIX}${token}${escapeHtml(query(endCursor))}">More photos</a></p>` : '';
  const description = album.description === '' ? '' : `<p>${escapeHtml(album.description)}</p>`;
  const count = `${album.photoCount} photo${album.photoCount === 1 ? '' : 's'}`;
  return page(album.title, `<h1>${escapeHtml(album.title)}</h1>${description}<p>${count}, shared with you.</p><ul>${items}</ul>${more}`);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.once('error', () => resolve(undefined));
  });
}

export interface SharePageDeps {
  shares: ShareAccess;
  contexts: (identity: RequestIdentity) => GraphQLContext;
  logger: Logger;
}

/**
 * `/s/<token>`: the shared album for a person with a browser, server-rendered, no script and no
 * cookie. A link with a password shows a form; the right password redirects to the same page
 * with the unlock credential in `?unlock=` (an hour's worth), which the page's own links keep.
 */
export function createSharePage({ shares, contexts, logger }: SharePageDeps) {
  async function render(req: IncomingMessage, res: ServerResponse, token: string, search: URLSearchParams, headOnly: boolean) {
    const unlock = search.get('unlock') ?? undefined;
    const share = shares.resolve(unlock ?? token);
    if (share.kind === 'unknown' || share.kind === 'none' || (unlock !== undefined && share.link.tokenHash !== shareTokenHash(token))) {
      send(res, 404, GONE, headOnly);
      return;
    }
    if (share.kind === 'locked') {
      send(
        res,
        200,
        passwordForm(token, unlock === undefined ? undefined : 'That unlock has run out: enter the password again.'),
        headOnly,
      );
      return;
    }
    const context = contexts({
      viewer: ANONYMOUS,
      share,
      signal: AbortSignal.timeout(10_000),
      clientAddress: req.socket.remoteAddress ?? '',
    });
    const result = await execute({
      schema,
      document: SHARE_PAGE_QUERY,
      contextValue: context,
      variableValues: { after: search.get('after') },
    });
    const album = (result.data as SharePageData | null | undefined)?.sharedAlbum;
    if (result.errors?.length || album == null) {
      const coded = result.errors?.some(
        (error) => error.extensions?.code === 'INVALID_CURSOR' || error.originalError instanceof LightboxError,
      );
      if (coded) {
        sendPlain(res, 400, 'Bad request: that page of the album does not exist', 'no-store', headOnly);
        return;
      }
      logger.error({ errors: result.errors }, 'share page could not be rendered');
      sendPlain(res, 500, 'Internal server error', 'no-store', headOnly);
      return;
    }
    send(res, 200, albumPage(token, unlock, album), headOnly);
  }

  async function unlock(req: IncomingMessage, res: ServerResponse, token: string) {
    const form = await readForm(req);
    const password = form?.get('password');
    if (password == null) {
      send(res, 400, passwordForm(token, 'Enter the password.'), false);
      return;
    }
    try {
      const unlocked = await shares.unlock(token, password, req.socket.remoteAddress ?? '');
      res.writeHead(303, {
        Location: `${SHARE_PAGE_PREFIX}${token}?unlock=${encodeURIComponent(unlocked.credential)}`,
        'Content-Length': 0,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      res.end();
    } catch (error) {
      if (!(error instanceof LightboxError)) throw error;
      if (error.code === 'SHARE_LINK_NOT_FOUND') send(res, 404, GONE, false);
      else if (error instanceof RateLimitedError) {
        send(res, 429, passwordForm(token, error.message), false, { 'Retry-After': String(error.retryAfterSeconds) });
      } else send(res, 401, passwordForm(token, 'That password is not right.'), false);
    }
  }

  return function handleSharePage(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
    const token = pathname.slice(SHARE_PAGE_PREFIX.length);
    const headOnly = req.method === 'HEAD';
    if (req.method !== 'GET' && !headOnly && req.method !== 'POST') {
      sendPlain(res, 405, 'Method not allowed: use GET, HEAD or POST', 'no-store', false, { Allow: 'GET, HEAD, POST' });
      return;
    }
    if (!SHARE_TOKEN_PATTERN.test(token)) {
      req.resume();
      send(res, 404, GONE, headOnly);
      return;
    }
    const work = req.method === 'POST' ? unlock(req, res, token) : render(req, res, token, new URLSearchParams(search), headOnly);
    work.catch((error: unknown) => {
      logger.error({ err: error }, 'share page failed');
      if (!res.headersSent) sendPlain(res, 500, 'Internal server error', 'no-store');
      else res.destroy();
    });
  };
}
