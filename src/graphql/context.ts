import { signedUrlExpiry } from '../auth/url-signing.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { ShareAccess, ShareResolution } from '../catalog/share-access.ts';
import type { IngestConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { SqlUsage } from '../db/sql-meter.ts';
import type { PreparedReads, Reads } from '../db/statements.ts';
import type { UrlSigning } from '../http/image-url.ts';
import type { StagedUpload } from '../http/multipart-upload.ts';
import type { StorageLayout } from '../storage/layout.ts';
import type { Store } from '../storage/open-store.ts';
import { createLoaders, type Loaders } from './loaders.ts';

export interface GraphQLContext {
  db: Db;
  /** The records GraphQL reads, through statements prepared once. */
  reads: Reads;
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
  /** This request's SQL tally (Server-Timing), when it is metered. */
  sqlUsage: SqlUsage | undefined;
}

export interface ContextOptions {
  store: Store;
  /** How GraphQL reads records (remembering them between commits, or not: LIGHTBOX_READ_CACHE). */
  reads: PreparedReads;
  shares: ShareAccess;
  ingest: IngestConfig;
  signing: { secret: string; ttlSeconds: number };
}

export interface RequestIdentity {
  /** Who the credentials say is asking, before any share link is applied. */
  viewer: Viewer;
  share: ShareResolution;
  signal: AbortSignal;
  clientAddress: string;
  uploads?: Map<string, StagedUpload>;
  sqlUsage?: SqlUsage;
}

/** Builds each request's context, for Yoga and for pages that run the schema in-process alike. */
export function requestContexts(options: ContextOptions): (identity: RequestIdentity) => GraphQLContext {
  const { db } = options.store.database;
  const { reads } = options;
  return ({ viewer: asked, share, signal, clientAddress, uploads, sqlUsage }) => {
    const viewer: Viewer = share.kind === 'granted' ? { kind: 'share', grant: share.grant } : asked;
    const signing = { secret: options.signing.secret, expiresAt: signedUrlExpiry(Date.now(), options.signing.ttlSeconds) };
    const requestReads = reads.forRequest(sqlUsage);
    return {
      db,
      reads: requestReads,
      layout: options.store.layout,
      viewer,
      signing:
        viewer.kind === 'share'
          ? { ...signing, share: { linkPublicId: viewer.grant.linkPublicId, linkKey: viewer.grant.linkKey } }
          : signing,
      loaders: createLoaders(db, requestReads, viewer, sqlUsage),
      uploads: uploads ?? new Map(),
      ingest: options.ingest,
      signal,
      share,
      shares: options.shares,
      clientAddress,
      sqlUsage,
    };
  };
}
