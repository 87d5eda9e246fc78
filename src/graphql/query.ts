import { albums, photos } from '../db/schema.ts';
import { builder } from './builder.ts';

builder.queryType({
  fields: (t) => ({
    photos: t.drizzleConnection({
      type: 'photos',
      description: 'All photos, newest first.',
      totalCount: (_parent, _args, ctx) => ctx.db.$count(photos),
      resolve: (query, _parent, _args, ctx) => ctx.db.query.photos.findMany(query({ orderBy: { createdAt: 'desc', id: 'desc' } })),
    }),
    albums: t.drizzleConnection({
      type: 'albums',
      description: 'All albums, newest first.',
      totalCount: (_parent, _args, ctx) => ctx.db.$count(albums),
      resolve: (query, _parent, _args, ctx) => ctx.db.query.albums.findMany(query({ orderBy: { createdAt: 'desc', id: 'desc' } })),
    }),
  }),
});
