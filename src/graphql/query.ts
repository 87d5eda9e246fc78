import { and, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { albumVisibleTo, photoInVisibleAlbum, photoVisibleTo } from '../catalog/access.ts';
import { albums, type PhotoStatus, photos } from '../db/schema.ts';
import { AlbumRef } from './album.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { PhotoRef, PhotoStatusEnum } from './photo.ts';

type PhotoColumns = typeof photos;
type AlbumColumns = typeof albums;

const PhotoOrderEnum = builder.enumType('PhotoOrder', {
  description: 'Every order ends with a unique tiebreak, so paging never skips or repeats a photo.',
  values: {
    CREATED_AT_DESC: { description: 'Newest first (the default).' },
    CREATED_AT_ASC: {},
    TAKEN_AT_DESC: { description: 'By capture time; photos without one sort by when they were added.' },
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
  description: 'All given conditions must hold.',
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
 * The photos a caller may list, narrowed by the filter, as one SQL condition: the same
 * condition pages the connection and counts its total, so the two always agree.
 */
function photoConditions(table: PhotoColumns, filter: PhotoFilterValues | null | undefined, ctx: GraphQLContext): SQL | undefined {
  const conditions: (SQL | undefined)[] = [photoVisibleTo(ctx.viewer, table.id)];
  if (filter?.albumId) conditions.push(photoInVisibleAlbum(ctx.viewer, table.id, filter.albumId.id));
  if (filter?.status) conditions.push(filter.status.length === 0 ? sql`0` : inArray(table.status, filter.status));
  if (filter?.takenAfter) conditions.push(gte(table.takenAt, filter.takenAfter.getTime()));
  if (filter?.takenBefore) conditions.push(lt(table.takenAt, filter.takenBefore.getTime()));
  if (filter?.cameraMake) conditions.push(eq(table.cameraMake, filter.cameraMake));
  return and(...conditions);
}

function albumConditions(table: AlbumColumns, ctx: GraphQLContext): SQL | undefined {
  return albumVisibleTo(ctx.viewer, table);
}

const takenSort = (table: PhotoColumns) => sql<number>`coalesce(${table.takenAt}, ${table.createdAt})`;

function photoOrder(order: string | null | undefined) {
  switch (order) {
    case 'CREATED_AT_ASC':
      return { orderBy: { createdAt: 'asc', id: 'asc' } } as const;
    case 'TAKEN_AT_DESC':
      return { extras: { takenSort }, orderBy: { takenSort: 'desc', id: 'desc' } } as const;
    case 'TAKEN_AT_ASC':
      return { extras: { takenSort }, orderBy: { takenSort: 'asc', id: 'asc' } } as const;
    case 'TITLE_ASC':
      return { orderBy: { title: 'asc', id: 'asc' } } as const;
    case 'TITLE_DESC':
      return { orderBy: { title: 'desc', id: 'desc' } } as const;
    default:
      return { orderBy: { createdAt: 'desc', id: 'desc' } } as const;
  }
}

function albumOrder(order: string | null | undefined) {
  switch (order) {
    case 'CREATED_AT_ASC':
      return { createdAt: 'asc', id: 'asc' } as const;
    case 'UPDATED_AT_DESC':
      return { updatedAt: 'desc', id: 'desc' } as const;
    case 'TITLE_ASC':
      return { title: 'asc', id: 'asc' } as const;
    case 'TITLE_DESC':
      return { title: 'desc', id: 'desc' } as const;
    default:
      return { createdAt: 'desc', id: 'desc' } as const;
  }
}

builder.queryType({
  fields: (t) => ({
    photos: t.drizzleConnection({
      type: 'photos',
      description: 'Photos: all of them for the admin, those in public albums for anyone else.',
      args: {
        filter: t.arg({ type: PhotoFilter }),
        orderBy: t.arg({ type: PhotoOrderEnum, defaultValue: 'CREATED_AT_DESC' }),
      },
      totalCount: (_parent, args, ctx) => ctx.db.$count(photos, photoConditions(photos, args.filter, ctx)),
      resolve: (query, _parent, args, ctx) =>
        ctx.db.query.photos.findMany(
          query({ where: { RAW: (table) => photoConditions(table, args.filter, ctx) ?? sql`1` }, ...photoOrder(args.orderBy) }),
        ),
    }),
    albums: t.drizzleConnection({
      type: 'albums',
      description: 'Albums: all of them for the admin, the public ones for anyone else.',
      args: { orderBy: t.arg({ type: AlbumOrderEnum, defaultValue: 'CREATED_AT_DESC' }) },
      totalCount: (_parent, _args, ctx) => ctx.db.$count(albums, albumConditions(albums, ctx)),
      resolve: (query, _parent, args, ctx) =>
        ctx.db.query.albums.findMany(
          query({ where: { RAW: (table) => albumConditions(table, ctx) ?? sql`1` }, orderBy: albumOrder(args.orderBy) }),
        ),
    }),
    photo: t.drizzleField({
      type: 'photos',
      nullable: true,
      description: 'One photo by id; null when it does not exist or the caller may not see it.',
      args: { id: t.arg.globalID({ required: true, for: PhotoRef }) },
      resolve: (query, _parent, { id }, ctx) =>
        ctx.db.query.photos.findFirst(
          query({ where: { publicId: id.id, RAW: (table) => photoConditions(table, undefined, ctx) ?? sql`1` } }),
        ),
    }),
    album: t.drizzleField({
      type: 'albums',
      nullable: true,
      description: 'One album by id; null when it does not exist or the caller may not see it.',
      args: { id: t.arg.globalID({ required: true, for: AlbumRef }) },
      resolve: (query, _parent, { id }, ctx) =>
        ctx.db.query.albums.findFirst(query({ where: { publicId: id.id, RAW: (table) => albumConditions(table, ctx) ?? sql`1` } })),
    }),
  }),
});
