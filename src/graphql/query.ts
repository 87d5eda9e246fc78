import { and, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Viewer } from '../auth/viewer.ts';
import { photoColumnAsSeenBy, photoInVisibleAlbum } from '../catalog/access.ts';
import { ALBUM_ORDERS, type AlbumOrderName, albumCount, albumPage } from '../catalog/album-records.ts';
import { type PhotoOrderName, photoCount, photoInStatus, photoOrderFor, photoPage } from '../catalog/photo-records.ts';
import type { PhotoStatus } from '../catalog/photos.ts';
import { builder } from './builder.ts';
import { keysetConnection, totalCountField } from './keyset-connection.ts';
import { PhotoStatusEnum } from './photo.ts';
import { AlbumRef, PhotoRef } from './refs.ts';

const PhotoOrderEnum = builder.enumType('PhotoOrder', {
  description: 'Every order ends with a unique tiebreak, so paging never skips or repeats a photo.',
  values: {
    CREATED_AT_DESC: { description: 'Newest first (the default).' },
    CREATED_AT_ASC: {},
    TAKEN_AT_DESC: {
      description:
        'By capture time; photos without one sort by when they were added, and so do all photos for a share link that hides metadata.',
    },
    TAKEN_AT_ASC: {},
    TITLE_ASC: {},
    TITLE_DESC: {},
  } as const,
});

const AlbumOrderEnum = builder.enumType('AlbumOrder', {
  values: {
    CREATED_AT_DESC: { description: 'Newest first (the default).' },
    CREATED_AT_ASC: {},
    UPDATED_AT_DESC: {},
    TITLE_ASC: {},
    TITLE_DESC: {},
  } as const,
});

const PhotoFilter = builder.inputType('PhotoFilter', {
  description:
    "All given conditions must hold. Conditions on capture details see what the caller reads: for a share link that hides metadata, where every photo's takenAt and camera read null, they match nothing.",
  fields: (t) => ({
    albumId: t.globalID({ for: AlbumRef, description: 'Only photos in this album.' }),
    status: t.field({ type: [PhotoStatusEnum], description: 'Only photos in one of these states.' }),
    takenAfter: t.field({ type: 'DateTime', description: 'Taken at or after this instant.' }),
    takenBefore: t.field({ type: 'DateTime', description: 'Taken before this instant.' }),
    cameraMake: t.string({ description: 'Camera make, exactly as EXIF names it (e.g. "NIKON").' }),
  }),
});

interface PhotoFilterValues {
  albumId?: { id: string } | null;
  status?: PhotoStatus[] | null;
  takenAfter?: Date | null;
  takenBefore?: Date | null;
  cameraMake?: string | null;
}

/**
 * The filter as one SQL condition, beside the viewer's visibility that every photo read
 * applies: the same condition pages the connection and counts its total, so the two agree.
 * Fields the viewer may not read are compared as NULL (see photoColumnAsSeenBy).
 */
function filterCondition(filter: PhotoFilterValues | null | undefined, viewer: Viewer): SQL | undefined {
  if (!filter) return undefined;
  const conditions: (SQL | undefined)[] = [];
  if (filter.albumId) conditions.push(photoInVisibleAlbum(viewer, filter.albumId.id));
  if (filter.status) conditions.push(photoInStatus(filter.status));
  if (filter.takenAfter) conditions.push(gte(photoColumnAsSeenBy(viewer, 'takenAt'), filter.takenAfter.getTime()));
  if (filter.takenBefore) conditions.push(lt(photoColumnAsSeenBy(viewer, 'takenAt'), filter.takenBefore.getTime()));
  if (filter.cameraMake) conditions.push(eq(photoColumnAsSeenBy(viewer, 'cameraMake'), filter.cameraMake));
  return and(...conditions);
}

builder.queryType({
  fields: (t) => ({
    photos: t.connection(
      {
        type: PhotoRef,
        description: 'Photos: all of them for the admin, those in public albums for anyone else.',
        args: {
          filter: t.arg({ type: PhotoFilter }),
          orderBy: t.arg({ type: PhotoOrderEnum, defaultValue: 'CREATED_AT_DESC' }),
        },
        resolve: async (_parent, args, ctx) => {
          const condition = filterCondition(args.filter, ctx.viewer);
          const order = photoOrderFor(ctx.viewer, (args.orderBy ?? 'CREATED_AT_DESC') as PhotoOrderName);
          const connection = await keysetConnection(args, order, (page) => photoPage(ctx.reads, ctx.viewer, condition, order, page));
          return Object.assign(connection, { countTotal: () => photoCount(ctx.reads, ctx.viewer, condition) });
        },
      },
      totalCountField,
    ),
    albums: t.connection(
      {
        type: AlbumRef,
        description: 'Albums: all of them for the admin, the public ones for anyone else.',
        args: { orderBy: t.arg({ type: AlbumOrderEnum, defaultValue: 'CREATED_AT_DESC' }) },
        resolve: async (_parent, args, ctx) => {
          const order = ALBUM_ORDERS[(args.orderBy ?? 'CREATED_AT_DESC') as AlbumOrderName];
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
