import type { Viewer } from '../auth/viewer.ts';
import type { Db } from '../db/client.ts';
import type { UrlSigning } from '../images/urls.ts';
import type { StagedUpload } from '../processing/upload-request.ts';
import type { StorageLayout } from '../storage/layout.ts';
import type { Loaders } from './loaders.ts';

export interface GraphQLContext {
  db: Db;
  layout: StorageLayout;
  viewer: Viewer;
  /** How this request signs image URLs of private photos (only the admin ever sees those). */
  signing: UrlSigning;
  loaders: Loaders;
  /** Staged files of a multipart request, by the token that replaced them in the variables. */
  uploads: Map<string, StagedUpload>;
  /** Limits for uploads and URL imports. */
  ingestLimits: { maxBytes: number; importAllowHosts: ReadonlySet<string> };
}

export function isAdmin(ctx: GraphQLContext): boolean {
  return ctx.viewer.kind === 'admin';
}
