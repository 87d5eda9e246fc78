import type { Viewer } from '../auth/viewer.ts';
import type { ChangeFeed } from '../catalog/change-feed.ts';
import type { ShareAccess, ShareResolution } from '../catalog/share-access.ts';
import type { IngestConfig } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { PreparedReads, Reads } from '../db/statements.ts';
import { type ImageViewer, imageViewer, type SigningKeys } from '../images/grant.ts';
import type { StagedUpload } from '../processing/staged-upload.ts';
import type { SqlUsage } from '../sql-meter.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { StorageLayout } from '../storage/layout.ts';
import type { Store } from '../storage/open-store.ts';
import { createLoaders, type Loaders } from './loaders.ts';

export interface GraphQLContext {
  db: Db;
  /** The records GraphQL reads, through statements prepared once. */
  reads: Reads;
  layout: StorageLayout;
  /** Where the photos' files are kept (the data dir, or a bucket). */
  files: FileStore;
  viewer: Viewer;
  /** The viewer as images/grant.ts hands it image URLs: one signature expiry for every URL of the answer. */
  signing: ImageViewer;
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
  /** What changes in the library, for subscriptions (none where nothing subscribes: the pages' own reads). */
  changeFeed: ChangeFeed | undefined;
  /**
   * Reads and loaders afresh (what a request's context holds for one answer): a subscription's
   * context lives for many events, and assigns these into itself before each.
   */
  freshReads(): Pick<GraphQLContext, 'reads' | 'loaders' | 'signing'>;
}

export interface ContextOptions {
  store: Store;
  /** How GraphQL reads records (remembering them between commits, or not: LIGHTBOX_READ_CACHE). */
  reads: PreparedReads;
  shares: ShareAccess;
  ingest: IngestConfig;
  signing: SigningKeys;
  changeFeed?: ChangeFeed;
}

export interface RequestIdentity {
  /** Who the credentials say is asking, before any share link is applied. */
  viewer: Viewer;
  share: ShareResolution;
  signal: AbortSignal;
  clientAddress: string;
  uploads?: Map<string, StagedUpload>;
  sqlUsage?: SqlUsage;
  /** The database version the request is answered as of, when it only reads; without one, every read is fresh. */
  version?: number;
}

/** Builds each request's context, for Yoga and for pages that run the schema in-process alike. */
export function requestContexts(options: ContextOptions): (identity: RequestIdentity) => GraphQLContext {
  const { db } = options.store.database;
  const { reads } = options;
  return ({ viewer: asked, share, signal, clientAddress, uploads, sqlUsage, version }) => {
    const viewer: Viewer = share.kind === 'granted' ? { kind: 'share', grant: share.grant } : asked;
    const readsAsOf = (asOf: number | undefined) => {
      const requestReads = reads.forRequest(sqlUsage, asOf);
      return {
        reads: requestReads,
        signing: imageViewer(viewer, options.signing, Date.now()),
        loaders: createLoaders(db, requestReads, viewer, sqlUsage),
      };
    };
    const context: GraphQLContext = {
      db,
      ...readsAsOf(version),
      layout: options.store.layout,
      files: options.store.files,
      viewer,
      uploads: uploads ?? new Map(),
      ingest: options.ingest,
      signal,
      share,
      shares: options.shares,
      clientAddress,
      sqlUsage,
      changeFeed: options.changeFeed,
      freshReads: () => readsAsOf(undefined),
    };
    return context;
  };
}
