import DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer.ts';
import { visiblePublicIds } from '../catalog/access.ts';
import { type AlbumRecord, albumsById, albumsOfPhotos } from '../catalog/album-records.ts';
import type { KeysetPage } from '../catalog/keyset.ts';
import { keywordsOfPhotos } from '../catalog/keywords.ts';
import {
  type AlbumPhotoRecord,
  albumPhotoPages,
  type PhotoDetails,
  type PhotoRecord,
  photoDetails,
  photosById,
} from '../catalog/photo-records.ts';
import type { Db } from '../db/client.ts';
import type { AlbumPhotoOrder } from '../db/schema.ts';
import type { Reads } from '../db/statements.ts';
import { meterSync, type SqlUsage } from '../sql-meter.ts';
import { RecordMemory } from './record-memory.ts';

export interface AlbumPhotosRequest {
  albumId: number;
  /** The album's own order (albums.photo_order), read with the album. */
  photoOrder: AlbumPhotoOrder;
  page: KeysetPage;
}

export interface Loaders {
  /** Whether the viewer may see the node `Typename:publicId`; batched across every node/nodes field of a request. */
  visibleNodes: DataLoader<string, boolean>;
  /** Photos by row id (payloads of mutations), as the viewer may see them. */
  photos: DataLoader<number, PhotoRecord | null>;
  photosByPublicId: DataLoader<string, PhotoRecord | null>;
  albums: DataLoader<number, AlbumRecord | null>;
  albumsByPublicId: DataLoader<string, AlbumRecord | null>;
  /** A page of an album's photos: every album of a list asking the same page is read in one statement. */
  albumPhotos: DataLoader<AlbumPhotosRequest, readonly AlbumPhotoRecord[], string>;
  /** What a photo's page or the library asks beyond a list's columns, for photos already read. */
  photoDetails: DataLoader<number, PhotoDetails>;
  /** The same, without a promise when this record's details were read for this kind of viewer before. */
  photoDetailsOf(photo: PhotoRecord): PhotoDetails | Promise<PhotoDetails>;
  /** The albums a photo is in, as far as the viewer may see them. */
  photoAlbums: DataLoader<number, readonly AlbumRecord[]>;
  /** A photo's keywords (whether the viewer may read them is the field's to decide). */
  photoKeywords: DataLoader<number, readonly string[]>;
}

/** The record of a row a mutation just wrote, as its author reads it. */
export async function written<Record>(loader: DataLoader<number, Record | null>, id: number): Promise<Record> {
  // Not what this request may have read before the write.
  const record = await loader.clear(id).load(id);
  if (record === null) throw new Error(`row ${id} vanished after it was written`);
  return record;
}

function byKey<Key, Value>(keys: readonly Key[], values: readonly Value[], keyOf: (value: Value) => Key): (Value | null)[] {
  const found = new Map<Key, Value>();
  for (const value of values) found.set(keyOf(value), value);
  return keys.map((key) => found.get(key) ?? null);
}

/** Requests for the same page of the same album are one. */
const albumPageKey = (request: AlbumPhotosRequest) => `${request.albumId} ${request.photoOrder} ${JSON.stringify(request.page)}`;

/** Details read for a record, by viewer: they answer every later request's eight detail fields without eight promises each. */
const knownDetails = new RecordMemory<PhotoRecord, PhotoDetails>();

/** Who details were read for: location and capture details depend on it. */
function viewerKey(viewer: Viewer): string {
  return viewer.kind === 'share' ? `share:${viewer.grant.linkPublicId}` : viewer.kind;
}

/** One set per request, so nothing is cached across callers or across database changes (but see knownDetails). */
export function createLoaders(db: Db, reads: Reads, viewer: Viewer, sqlUsage?: SqlUsage): Loaders {
  const detailsKey = viewerKey(viewer);
  const loaders: Loaders = {
    visibleNodes: new DataLoader(async (keys: readonly string[]) =>
      meterSync(sqlUsage, () => {
        const byType = new Map<string, string[]>();
        for (const key of keys) {
          const [typename = '', publicId = ''] = key.split(':');
          byType.set(typename, [...(byType.get(typename) ?? []), publicId]);
        }
        const visible = new Set<string>();
        for (const [typename, publicIds] of byType) {
          for (const publicId of visiblePublicIds(db, viewer, typename, publicIds)) visible.add(`${typename}:${publicId}`);
        }
        return keys.map((key) => visible.has(key));
      }),
    ),
    photos: new DataLoader(async (ids) => byKey(ids, photosById(reads, viewer, 'id', ids), (photo) => photo.id)),
    photosByPublicId: new DataLoader(async (ids) => byKey(ids, photosById(reads, viewer, 'publicId', ids), (photo) => photo.publicId)),
    albums: new DataLoader(async (ids) => byKey(ids, albumsById(reads, viewer, 'id', ids), (album) => album.id)),
    albumsByPublicId: new DataLoader(async (ids) => byKey(ids, albumsById(reads, viewer, 'publicId', ids), (album) => album.publicId)),
    albumPhotos: new DataLoader(
      async (requests) => {
        const samePage = new Map<string, { page: KeysetPage; photoOrder: AlbumPhotoOrder; albumIds: number[] }>();
        for (const { albumId, photoOrder, page } of requests) {
          const key = `${photoOrder} ${JSON.stringify(page)}`;
          const entry = samePage.get(key);
          if (entry === undefined) samePage.set(key, { page, photoOrder, albumIds: [albumId] });
          else entry.albumIds.push(albumId);
        }
        const pages = new Map<string, readonly AlbumPhotoRecord[]>();
        for (const { page, photoOrder, albumIds } of samePage.values()) {
          const byAlbum = albumPhotoPages(reads, viewer, albumIds, photoOrder, page);
          for (const albumId of albumIds) pages.set(albumPageKey({ albumId, photoOrder, page }), byAlbum.get(albumId) ?? []);
        }
        return requests.map((request) => pages.get(albumPageKey(request)) ?? []);
      },
      { cacheKeyFn: albumPageKey },
    ),
    photoDetails: new DataLoader(async (ids) =>
      byKey(ids, photoDetails(reads, viewer, ids), (details) => details.id).map(
        (details, index) => details ?? new Error(`photo ${ids[index]} is gone`),
      ),
    ),
    photoDetailsOf: (photo) => {
      if (!reads.remembers) return loaders.photoDetails.load(photo.id);
      const known = knownDetails.recall(photo, detailsKey);
      if (known !== undefined) return known;
      return loaders.photoDetails.load(photo.id).then((details) => {
        knownDetails.keep(photo, detailsKey, details);
        return details;
      });
    },
    photoAlbums: new DataLoader(async (photoIds) => {
      const byPhoto = albumsOfPhotos(reads, viewer, photoIds);
      return photoIds.map((id) => byPhoto.get(id) ?? []);
    }),
    photoKeywords: new DataLoader(async (photoIds) => {
      const byPhoto = keywordsOfPhotos(reads, photoIds);
      return photoIds.map((id) => byPhoto.get(id) ?? []);
    }),
  };
  return loaders;
}
