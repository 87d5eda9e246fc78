import { readFileSync } from 'node:fs';
import { hashedAsset as asset, type HashedAsset } from '../hashed-asset.ts';

/** Where GraphiQL's files are served from; a page links them with `?v=<content hash>`. */
export const GRAPHIQL_ASSETS_PREFIX = '/graphiql/';

export type GraphiQLAssetName =
  | 'graphiql.css'
  | 'yoga-graphiql.js'
  | 'editor.worker.js'
  | 'json.worker.js'
  | 'graphql.worker.js'
  | 'favicon.ico'
  | 'start.js';

/** The bundle is 5 MB, about 1.4 MB gzipped (made on the first request that accepts it). */
export type GraphiQLAsset = HashedAsset;

const JAVASCRIPT = 'text/javascript; charset=utf-8';

/**
 * GraphiQL from the installed `@graphql-yoga/render-graphiql` (a self-contained build of the
 * same GraphiQL Yoga otherwise loads from unpkg), so the page works on a LAN without internet
 * and no other origin sees the page where the admin pastes the token.
 */
export class GraphiQLAssets {
  private constructor(private readonly assets: ReadonlyMap<GraphiQLAssetName, GraphiQLAsset>) {}

  /** Imports the 9 MB module once, when GraphiQL is first asked for, not at start-up. */
  static async load(): Promise<GraphiQLAssets> {
    const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
    const favicon = bundle.favicon.slice(bundle.favicon.indexOf(',') + 1);
    return new GraphiQLAssets(
      new Map<GraphiQLAssetName, GraphiQLAsset>([
        ['graphiql.css', asset('text/css; charset=utf-8', Buffer.from(bundle.css))],
        ['yoga-graphiql.js', asset(JAVASCRIPT, Buffer.from(bundle.js))],
        ['editor.worker.js', asset(JAVASCRIPT, Buffer.from(bundle.editorWorkerService))],
        ['json.worker.js', asset(JAVASCRIPT, Buffer.from(bundle.jsonWorker))],
        ['graphql.worker.js', asset(JAVASCRIPT, Buffer.from(bundle.graphqlWorker))],
        ['favicon.ico', asset('image/x-icon', Buffer.from(favicon, 'base64'))],
        ['start.js', asset(JAVASCRIPT, readFileSync(new URL('./start.js', import.meta.url)))],
      ]),
    );
  }

  get(name: string): GraphiQLAsset | undefined {
    return this.assets.get(name as GraphiQLAssetName);
  }

  /** The URL a page links: changes whenever the file does, so it can be cached for a year. */
  url(name: GraphiQLAssetName): string {
    const found = this.assets.get(name);
    if (found === undefined) throw new Error(`No GraphiQL asset named ${name}`);
    return `${GRAPHIQL_ASSETS_PREFIX}${name}?v=${found.hash}`;
  }
}

let loading: Promise<GraphiQLAssets> | undefined;

/** The assets never change while the process runs: every server in it shares one copy. */
export function graphiqlAssets(): Promise<GraphiQLAssets> {
  loading ??= GraphiQLAssets.load();
  return loading;
}
