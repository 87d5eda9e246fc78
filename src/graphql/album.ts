import { drizzleConnectionHelpers } from '@pothos/plugin-drizzle';
import { sql } from 'drizzle-orm';
import { ALBUM_VISIBILITIES, albumPhotos } from '../db/schema.ts';
import { builder } from './builder.ts';
import { mergeSelections, type Selection } from './merge-selections.ts';
import { PhotoRef } from './photo.ts';

export const AlbumVisibilityEnum = builder.enumType('AlbumVisibility', {
  description: 'PUBLIC albums and their photos are visible to anyone; PRIVATE ones only to the admin.',
  values: ALBUM_VISIBILITIES,
});

/** Album photos page through the membership rows, the only place the album's own order lives. */
const albumPhotosConnection = drizzleConnectionHelpers(builder, 'albumPhotos', {
  query: () => ({ orderBy: { position: 'asc' } }),
  select: (nestedSelection) => ({ with: { photo: nestedSelection(true) } }),
  resolveNode: (membership) => membership.photo,
});

export const AlbumRef = builder.drizzleNode('albums', {
  name: 'Album',
  id: { column: (album) => album.publicId },
  fields: (t) => ({
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    visibility: t.expose('visibility', { type: AlbumVisibilityEnum }),
    photoCount: t.relatedCount('memberships'),
    cover: t.field({
      type: PhotoRef,
      nullable: true,
      description: 'The chosen cover, or else the first photo in album order; null for an empty album.',
      select: (_args, _ctx, nestedSelection) => ({
        with: {
          coverPhoto: nestedSelection(true),
          coverCandidates: { limit: 1, orderBy: { position: 'asc' }, with: { photo: nestedSelection(true) } },
        },
      }),
      resolve: (album) => album.coverPhoto ?? album.coverCandidates[0]?.photo ?? null,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (album) => album.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (album) => album.updatedAt }),
    photos: t.connection(
      {
        type: PhotoRef,
        description: "The album's photos in the album's own order.",
        select: (args, ctx, nestedSelection) => ({
          extras: { memberCount: (table) => sql<number>`(SELECT count(*) FROM ${albumPhotos} WHERE ${albumPhotos.albumId} = ${table.id})` },
          with: {
            // The helper plans only `edges { node }`; fold in what `nodes { … }` selects too.
            memberships: albumPhotosConnection.getQuery(args, ctx, (selection, path) =>
              mergeSelections(nestedSelection(selection, path) as Selection, nestedSelection(selection, ['nodes']) as Selection),
            ),
          },
        }),
        resolve: (album, args, ctx) => ({ ...albumPhotosConnection.resolve(album.memberships, args, ctx), totalCount: album.memberCount }),
      },
      {
        fields: (t) => ({ totalCount: t.int({ resolve: (connection) => (connection as unknown as { totalCount: number }).totalCount }) }),
      },
    ),
  }),
});
