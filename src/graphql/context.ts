import type { Viewer } from '../auth/viewer.ts';
import type { Db } from '../db/client.ts';
import type { UrlSigning } from '../images/urls.ts';
import type { StorageLayout } from '../storage/layout.ts';

export interface GraphQLContext {
  db: Db;
  layout: StorageLayout;
  viewer: Viewer;
  /** How this request signs image URLs of private photos (only the admin ever sees those). */
  signing: UrlSigning;
}

export function isAdmin(ctx: GraphQLContext): boolean {
  return ctx.viewer.kind === 'admin';
}
