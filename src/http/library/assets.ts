import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HashedAsset, hashedAsset, serveHashedAsset } from '../hashed-asset.ts';

export const LIBRARY_ASSETS_PREFIX = '/library/assets/';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

export interface LibraryAssets {
  /** `/library/assets/<name>?v=<hash>`, cached for a year. The modules it imports are asked without `v`, so they are revalidated by ETag. */
  url(name: string): string;
  serve(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void>;
}

let loaded: ReadonlyMap<string, HashedAsset> | undefined;

/**
 * The app's modules, stylesheet and the map's land (world.svg, made by scripts/world-map.ts),
 * every file of assets/, read once per process: they are part of the installed code.
 */
export function libraryAssets(): LibraryAssets {
  loaded ??= new Map(
    readdirSync(new URL('./assets/', import.meta.url))
      .filter((name) => TYPES[name.slice(name.lastIndexOf('.'))] !== undefined)
      .map((name) => [
        name,
        hashedAsset(TYPES[name.slice(name.lastIndexOf('.'))] as string, readFileSync(new URL(`./assets/${name}`, import.meta.url))),
      ]),
  );
  const assets = loaded;
  return {
    url(name) {
      const asset = assets.get(name);
      if (asset === undefined) throw new Error(`no library asset ${name}`);
      return `${LIBRARY_ASSETS_PREFIX}${name}?v=${asset.hash}`;
    },
    serve(req, res, pathname, query) {
      return serveHashedAsset(req, res, assets.get(pathname.slice(LIBRARY_ASSETS_PREFIX.length)), query);
    },
  };
}
