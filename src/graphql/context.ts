import type { ShareAccess, ShareResolution } from '../auth/share-access.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { IngestConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { UrlSigning } from '../http/image-url.ts';
import type { StagedUpload } from '../http/multipart-upload.ts';
import type { StorageLayout } from '../storage/layout.ts';
import type { Loaders } from './loaders.ts';

export interface GraphQLContext {
  db: Db;
  layout: StorageLayout;
  viewer: Viewer;
  /** How this request signs image URLs of photos that are not public (only viewers allowed them get those). */
  signing: UrlSigning;
  loaders: Loaders;
  /** Staged files of a multipart request, by the token that replaced them in the variables. */
  uploads: Map<string, StagedUpload>;
  /** Limits for uploads and URL imports. */
  ingest: IngestConfig;
  /** Aborted when the client goes away: long work on its behalf stops with it. */
  signal: AbortSignal;
  /** What the request's X-Lightbox-Share header opened (the viewer already reflects a grant). */
  share: ShareResolution;
  /** Share links' tokens, credentials and passwords. */
  shares: ShareAccess;
  /** The peer's address, for limits on password attempts. */
  clientAddress: string;
}
