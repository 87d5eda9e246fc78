import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveHashedAsset } from '../hashed-asset.ts';
import { GRAPHIQL_ASSETS_PREFIX, graphiqlAssets } from './assets.ts';

/** GET/HEAD of GraphiQL's files (see hashed-asset.ts). */
export async function serveGraphiQLAsset(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void> {
  const assets = await graphiqlAssets();
  await serveHashedAsset(req, res, assets.get(pathname.slice(GRAPHIQL_ASSETS_PREFIX.length)), query);
}
