import { downloadFor } from '../catalog/access.ts';
import { ALBUM_VISIBILITIES } from '../catalog/albums.ts';
import { ALBUM_PHOTO_ORDERS } from '../catalog/photo-records.ts';
import { albumDownloadUrl } from '../images/download-url.ts';
import { builder } from './builder.ts';
import { keysetConnection, totalCountField } from './keyset-connection.ts';
import { AlbumRef, PhotoRef } from './refs.ts';

export const AlbumVisibilityEnum = builder.enumType('AlbumVisibility', {
  description: 'PUBLIC albums and their photos are visible to anyone; PRIVATE ones only to the admin.',
  values: ALBUM_VISIBILITIES,
});

export const AlbumPhotoOrderEnum = builder.enumType('AlbumPhotoOrder', {
  description:
    "How an album orders its photos. Every viewer sees the album's one order; a share link that hides metadata hides capture times, not the order.",
  values: {
    TAKEN_AT: {
      description: 'By capture time, oldest first (the default); photos without one by when they were added. New photos fall into place.',
    },
    MANUAL: {
      description:
        'As the owner arranged them (movePhotoInAlbum, setAlbumPhotoOrder, addPhotosToAlbum with a position, each of which switches the album to it); new photos go at the end.',
    },
  } as const,
});

const AlbumDownloadRef = builder.objectRef<{ url: string; expiresAt: number }>('AlbumDownload').implement({
  description: 'A signed link to the whole album as one ZIP file, for a plain link or a browser download (it needs no header).',
  fields: (t) => ({
    url: t.exposeString('url', {
      description:
        "Root-relative. The admin's holds the uploaded files as they are; a share link's the copies without metadata that ORIGINAL gives. Dies with the link it was handed out under.",
    }),
    expiresAt: t.field({ type: 'DateTime', resolve: (download) => download.expiresAt * 1000 }),
  }),
});

builder.node(AlbumRef, {
  id: { resolve: (album) => album.publicId },
  loadMany: (ids, ctx) => ids.map((id) => ctx.loaders.albumsByPublicId.load(id)),
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'photoCount' in value,
  fields: (t) => ({
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    visibility: t.expose('visibility', { type: AlbumVisibilityEnum }),
    photoOrder: t.expose('photoOrder', { type: AlbumPhotoOrderEnum }),
    photoCount: t.exposeInt('photoCount'),
    cover: t.field({
      type: PhotoRef,
      nullable: true,
      description: 'The chosen cover, or else the first photo in album order; null for an empty album.',
      resolve: (album) => album.cover,
    }),
    download: t.field({
      type: AlbumDownloadRef,
      nullable: true,
      description:
        "The album as a ZIP, for the admin and for a share link that allows originals (its own album); null for everyone else. Photos in the album's order, each named by its title.",
      resolve: (album, _args, ctx) => {
        const access = downloadFor(ctx.viewer, album.id);
        if (access === undefined) return null;
        return { url: albumDownloadUrl(ctx.signing.urls, album.publicId, access), expiresAt: ctx.signing.urls.expiresAt };
      },
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (album) => album.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (album) => album.updatedAt }),
    photos: t.connection(
      {
        type: PhotoRef,
        description: "The album's photos in the album's own order (photoOrder).",
        resolve: async (album, args, ctx) => {
          const connection = await keysetConnection(args, ALBUM_PHOTO_ORDERS[album.photoOrder], (page) =>
            ctx.loaders.albumPhotos.load({ albumId: album.id, photoOrder: album.photoOrder, page }),
          );
          return Object.assign(connection, { countTotal: () => album.photoCount });
        },
      },
      totalCountField,
    ),
  }),
});
