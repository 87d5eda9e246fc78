import { ALBUM_ORDERS, type AlbumOrderName, albumCount, albumPage } from '../catalog/album-records.ts';
import { photoCount } from '../catalog/photo-counts.ts';
import type { PhotoFilter as CatalogPhotoFilter } from '../catalog/photo-filter.ts';
import { type PhotoOrderName, photoOrderFor, photoPage } from '../catalog/photo-records.ts';
import { ValidationError } from '../errors.ts';
import { builder } from './builder.ts';
import { keysetConnection, totalCountField } from './keyset-connection.ts';
import { catalogFilter, PhotoFilter } from './photo-filter.ts';
import { AlbumRef, PhotoRef } from './refs.ts';

const PhotoOrderEnum = builder.enumType('PhotoOrder', {
  description: 'Every order ends with a unique tiebreak, so paging never skips or repeats a photo.',
  values: {
    CREATED_AT_DESC: { description: 'Newest first (the default without filter.text).' },
    CREATED_AT_ASC: {},
    TAKEN_AT_DESC: {
      description:
        'By capture time; photos without one sort by when they were added, and so do all photos for a share link that hides metadata.',
    },
    TAKEN_AT_ASC: {},
    TITLE_ASC: {},
    TITLE_DESC: {},
    RELEVANCE: { description: 'The best match of filter.text first (the default with it); only with filter.text.' },
  } as const,
});

const AlbumOrderEnum = builder.enumType('AlbumOrder', {
  values: {
    LATEST_PHOTO_DESC: {
      description: 'By the capture time of its newest photo, newest first (the default); empty albums last, newest made first.',
    },
    CREATED_AT_DESC: { description: 'Newest made first.' },
    CREATED_AT_ASC: {},
    UPDATED_AT_DESC: {},
    TITLE_ASC: {},
    TITLE_DESC: {},
  } as const,
});

/** The order asked for, or the default: relevance for a search, the newest first otherwise. */
function listOrder(orderBy: string | null | undefined, filter: CatalogPhotoFilter): PhotoOrderName {
  const searching = filter.searchWords !== undefined;
  if (orderBy === 'RELEVANCE' && !searching) throw new ValidationError('orderBy', 'RELEVANCE orders a search: give filter.text');
  return (orderBy ?? (searching ? 'RELEVANCE' : 'CREATED_AT_DESC')) as PhotoOrderName;
}

builder.queryType({
  fields: (t) => ({
    photos: t.connection(
      {
        type: PhotoRef,
        description: 'Photos: all of them for the admin, those in public albums for anyone else.',
        args: {
          filter: t.arg({ type: PhotoFilter }),
          orderBy: t.arg({ type: PhotoOrderEnum, description: 'RELEVANCE with filter.text, CREATED_AT_DESC without.' }),
        },
        resolve: async (_parent, args, ctx) => {
          const filter = catalogFilter(args.filter);
          const order = photoOrderFor(ctx.viewer, listOrder(args.orderBy, filter));
          const connection = await keysetConnection(args, order, (page) => photoPage(ctx.reads, ctx.viewer, filter, order, page));
          return Object.assign(connection, { countTotal: () => photoCount(ctx.reads, ctx.viewer, filter) });
        },
      },
      totalCountField,
    ),
    albums: t.connection(
      {
        type: AlbumRef,
        description: 'Albums: all of them for the admin, the public ones for anyone else.',
        args: { orderBy: t.arg({ type: AlbumOrderEnum, defaultValue: 'LATEST_PHOTO_DESC' }) },
        resolve: async (_parent, args, ctx) => {
          const order = ALBUM_ORDERS[(args.orderBy ?? 'LATEST_PHOTO_DESC') as AlbumOrderName];
          const connection = await keysetConnection(args, order, (page) => albumPage(ctx.reads, ctx.viewer, order, page));
          return Object.assign(connection, { countTotal: () => albumCount(ctx.reads, ctx.viewer) });
        },
      },
      totalCountField,
    ),
    photo: t.field({
      type: PhotoRef,
      nullable: true,
      description: 'One photo by id; null when it does not exist or the caller may not see it.',
      args: { id: t.arg.globalID({ required: true, for: PhotoRef }) },
      resolve: (_parent, { id }, ctx) => ctx.loaders.photosByPublicId.load(id.id),
    }),
    album: t.field({
      type: AlbumRef,
      nullable: true,
      description: 'One album by id; null when it does not exist or the caller may not see it.',
      args: { id: t.arg.globalID({ required: true, for: AlbumRef }) },
      resolve: (_parent, { id }, ctx) => ctx.loaders.albumsByPublicId.load(id.id),
    }),
  }),
});
