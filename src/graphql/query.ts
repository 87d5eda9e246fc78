import { eq } from 'drizzle-orm';
import { albums, photos } from '../db/schema.ts';
import { builder } from './builder.ts';
import { isAdmin } from './context.ts';
import { PUBLIC_ALBUM_WHERE, PUBLIC_PHOTO_WHERE, photoIsPublic } from './visibility.ts';

builder.queryType({
  fields: (t) => ({
    photos: t.drizzleConnection({
      type: 'photos',
      description: 'Photos, newest first: all of them for the admin, those in public albums for anyone else.',
      totalCount: (_parent, _args, ctx) => (isAdmin(ctx) ? ctx.db.$count(photos) : ctx.db.$count(photos, photoIsPublic())),
      resolve: (query, _parent, _args, ctx) =>
        ctx.db.query.photos.findMany(query({ where: isAdmin(ctx) ? {} : PUBLIC_PHOTO_WHERE, orderBy: { createdAt: 'desc', id: 'desc' } })),
    }),
    albums: t.drizzleConnection({
      type: 'albums',
      description: 'Albums, newest first: all of them for the admin, the public ones for anyone else.',
      totalCount: (_parent, _args, ctx) => (isAdmin(ctx) ? ctx.db.$count(albums) : ctx.db.$count(albums, eq(albums.visibility, 'PUBLIC'))),
      resolve: (query, _parent, _args, ctx) =>
        ctx.db.query.albums.findMany(query({ where: isAdmin(ctx) ? {} : PUBLIC_ALBUM_WHERE, orderBy: { createdAt: 'desc', id: 'desc' } })),
    }),
  }),
});
