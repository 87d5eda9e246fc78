import { defineRelations } from 'drizzle-orm';
import * as schema from './schema.ts';

export const relations = defineRelations(schema, (r) => ({
  photos: {
    memberships: r.many.albumPhotos({ from: r.photos.id, to: r.albumPhotos.photoId }),
    albums: r.many.albums({
      from: r.photos.id.through(r.albumPhotos.photoId),
      to: r.albums.id.through(r.albumPhotos.albumId),
    }),
  },
  albums: {
    memberships: r.many.albumPhotos({ from: r.albums.id, to: r.albumPhotos.albumId }),
    photos: r.many.photos({
      from: r.albums.id.through(r.albumPhotos.albumId),
      to: r.photos.id.through(r.albumPhotos.photoId),
    }),
    coverPhoto: r.one.photos({ from: r.albums.coverPhotoId, to: r.photos.id }),
    /** The same rows as memberships, under another name so the cover's first-photo lookup plans apart from photo paging. */
    coverCandidates: r.many.albumPhotos({ from: r.albums.id, to: r.albumPhotos.albumId }),
    shareLinks: r.many.shareLinks({ from: r.albums.id, to: r.shareLinks.albumId }),
  },
  shareLinks: {
    album: r.one.albums({ from: r.shareLinks.albumId, to: r.albums.id, optional: false }),
  },
  albumPhotos: {
    album: r.one.albums({ from: r.albumPhotos.albumId, to: r.albums.id, optional: false }),
    photo: r.one.photos({ from: r.albumPhotos.photoId, to: r.photos.id, optional: false }),
  },
  jobs: {
    photo: r.one.photos({ from: r.jobs.photoId, to: r.photos.id, optional: false }),
  },
}));
