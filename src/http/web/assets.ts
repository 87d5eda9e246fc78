import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HashedAsset, hashedAsset, serveHashedAsset } from '../hashed-asset.ts';

export type WebAssetName = 'gallery.css' | 'gallery.js' | 'favicon.svg';

export interface WebAssets {
  /** Whether the path is one of these files: under the prefix, or `/favicon.ico`. */
  handles(pathname: string): boolean;
  /** `/assets/<name>?v=<content hash>`: cached for a year, changed with the file. */
  url(name: WebAssetName): string;
  serve(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void>;
}

const PREFIX = '/assets/';
/** Browsers ask for it by that name wherever a page names no icon: the same SVG, revalidated (no `v`). */
const FAVICON_PATH = '/favicon.ico';

function load(): ReadonlyMap<string, HashedAsset> {
  const read = (name: WebAssetName) => readFileSync(new URL(`./assets/${name}`, import.meta.url));
  return new Map([
    ['gallery.css', hashedAsset('text/css; charset=utf-8', read('gallery.css'))],
    ['gallery.js', hashedAsset('text/javascript; charset=utf-8', read('gallery.js'))],
    ['favicon.svg', hashedAsset('image/svg+xml', read('favicon.svg'))],
  ]);
}

let loaded: ReadonlyMap<string, HashedAsset> | undefined;

/** The gallery's stylesheet, script and icon, read once per process: they are part of the installed code. */
export function webAssets(): WebAssets {
  loaded ??= load();
  const assets = loaded;
  return {
    handles: (pathname) => pathname === FAVICON_PATH || pathname.startsWith(PREFIX),
    url(name) {
      return `${PREFIX}${name}?v=${(assets.get(name) as HashedAsset).hash}`;
    },
    serve(req, res, pathname, query) {
      if (pathname === FAVICON_PATH) return serveHashedAsset(req, res, assets.get('favicon.svg'), '');
      return serveHashedAsset(req, res, assets.get(pathname.slice(PREFIX.length)), query);
    },
  };
}
