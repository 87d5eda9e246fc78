import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendPlain } from '../plain-response.ts';
import { webAssets } from '../web/assets.ts';
import { escapeHtml } from '../web/html.ts';
import { LIBRARY_ASSETS_PREFIX, type LibraryAssets, libraryAssets } from './assets.ts';
import { LIBRARY_DOCUMENTS } from './documents.ts';

/**
 * The owner's app: one page for every `/library` path (the script routes), the same for
 * everyone. It holds nothing private: the token is the browser's (localStorage), sent by the
 * script as `Authorization: Bearer`, never a cookie, so another site cannot act as the owner.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface LibraryPageOptions {
  /** LIGHTBOX_PUBLIC_URL: where share links point; else the page's own origin. */
  publicUrl: string | undefined;
}

function render(assets: LibraryAssets, options: LibraryPageOptions): string {
  const config = JSON.stringify({
    documents: LIBRARY_DOCUMENTS,
    publicUrl: options.publicUrl ?? null,
    worldMap: assets.url('world.svg'),
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Your library · Lightbox</title>
<link rel="icon" href="${escapeHtml(webAssets().url('favicon.svg'))}" type="image/svg+xml">
<link rel="stylesheet" href="${escapeHtml(assets.url('library.css'))}">
<script type="module" src="${escapeHtml(assets.url('app.js'))}"></script></head>
<body><a class="skip" href="#main">Skip to content</a><div id="app"><main id="main" tabindex="-1"><p>Loading your library…</p>
<noscript><p>The library needs JavaScript. The public gallery at <a href="/">/</a> works without it.</p></noscript></main></div>
<script type="application/json" id="library-config">${config}</script></body></html>
`;
}

export interface LibraryRoute {
  handles(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void>;
}

export function createLibraryRoute(options: LibraryPageOptions): LibraryRoute {
  const assets = libraryAssets();
  const html = Buffer.from(render(assets, options));
  return {
    handles: (pathname) => pathname === '/library' || pathname.startsWith('/library/'),
    async handle(req, res, pathname, query) {
      if (pathname.startsWith(LIBRARY_ASSETS_PREFIX)) return assets.serve(req, res, pathname, query);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': html.length,
        // The page changes only with the installed code; asked again each time so an upgrade shows at once.
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
      });
      res.end(req.method === 'HEAD' ? undefined : html);
    },
  };
}
