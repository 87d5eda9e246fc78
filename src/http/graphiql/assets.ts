import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

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

export interface GraphiQLAsset {
  contentType: string;
  body: Buffer;
  /** A short content hash: the `v` of its URL and the opaque part of its ETag. */
  hash: string;
  /** Made on first request that accepts it, then kept: the bundle is 5 MB, about 1.4 MB gzipped. */
  gzipped?: Promise<Buffer>;
}

function asset(contentType: string, body: Buffer): GraphiQLAsset {
  return { contentType, body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}

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

  static gzipped(found: GraphiQLAsset): Promise<Buffer> {
    found.gzipped ??= gzipAsync(found.body, { level: 9 });
    return found.gzipped;
  }
}

let loading: Promise<GraphiQLAssets> | undefined;

/** The assets never change while the process runs: every server in it shares one copy. */
export function graphiqlAssets(): Promise<GraphiQLAssets> {
  loading ??= GraphiQLAssets.load();
  return loading;
}
