import type { Plugin } from 'graphql-yoga';
import { graphiqlAssets } from './assets.ts';

/**
 * Nothing from another origin, no inline or eval'd script. Monaco injects <style> elements
 * while it runs, so styles alone allow inline; its workers load from this origin.
 */
export const GRAPHIQL_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** JSON that cannot end the <script> block it sits in. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export interface GraphiQLPageOptions {
  title?: string;
  [option: string]: unknown;
}

/** GraphiQL's page: every file it loads is linked from this origin by content hash. */
export async function renderGraphiQLPage(options: GraphiQLPageOptions): Promise<string> {
  const assets = await graphiqlAssets();
  const title = escapeHtml(options.title ?? 'GraphiQL');
  const startOptions = {
    graphiql: options,
    workers: {
      editorWorkerService: assets.url('editor.worker.js'),
      json: assets.url('json.worker.js'),
      graphql: assets.url('graphql.worker.js'),
    },
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="${assets.url('favicon.ico')}">
<link rel="stylesheet" href="${assets.url('graphiql.css')}">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript. The API itself answers at this URL: POST a JSON body {"query": "…"}.</noscript>
<div id="root"></div>
<script type="application/json" id="graphiql-options">${scriptSafeJson(startOptions)}</script>
<script src="${assets.url('start.js')}"></script>
<script src="${assets.url('yoga-graphiql.js')}"></script>
</body>
</html>
`;
}

/** The headers GraphiQL's page goes out with; Yoga answers it with only a Content-Type. */
export function graphiqlPageHeadersPlugin(): Plugin {
  return {
    onResponse({ response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      response.headers.set('Content-Type', 'text/html; charset=utf-8');
      response.headers.set('Content-Security-Policy', GRAPHIQL_CONTENT_SECURITY_POLICY);
      response.headers.set('X-Content-Type-Options', 'nosniff');
      response.headers.set('Referrer-Policy', 'no-referrer');
      response.headers.set('Cache-Control', 'no-cache');
    },
  };
}
