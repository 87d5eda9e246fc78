import { ALBUM_VISIBILITIES } from '../catalog/albums.ts';
import { ALBUM_PHOTO_ORDERS } from '../catalog/photo-records.ts';
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
