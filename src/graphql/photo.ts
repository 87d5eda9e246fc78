import { imageUrl } from '../images/urls.ts';
import { builder } from './builder.ts';
import { isAdmin } from './context.ts';
import { PUBLIC_ALBUM_WHERE, photoIsPublic } from './visibility.ts';

interface ImageInfo {
  url: string;
  width: number;
  height: number;
}

export const ImageRef = builder.objectRef<ImageInfo>('Image').implement({
  description: 'One rendition of a photo, ready for an <img> tag.',
  fields: (t) => ({
    url: t.exposeString('url', { description: 'Root-relative URL of the image, versioned so browsers may cache it for a year.' }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
  }),
});

function formatTakenAt(takenAt: number, offset: string | null): string {
  if (offset === null) return new Date(takenAt).toISOString().slice(0, 19);
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0] = offset.slice(1).split(':').map(Number);
  const local = new Date(takenAt + sign * (hours * 60 + minutes) * 60_000);
  return `${local.toISOString().slice(0, 19)}${offset}`;
}

export const PhotoRef = builder.drizzleNode('photos', {
  name: 'Photo',
  id: { column: (photo) => photo.publicId },
  fields: (t) => ({
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    width: t.exposeInt('width', { description: 'Width as displayed, after EXIF orientation is applied.' }),
    height: t.exposeInt('height', { description: 'Height as displayed, after EXIF orientation is applied.' }),
    takenAt: t.string({
      nullable: true,
      description:
        'When the photo was taken, as the camera recorded it: an ISO 8601 local date-time, with the UTC offset when the camera stored one.',
      select: { columns: { takenAt: true, takenAtOffset: true } },
      resolve: (photo) => (photo.takenAt === null ? null : formatTakenAt(photo.takenAt, photo.takenAtOffset)),
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (photo) => photo.createdAt }),
    mimeType: t.exposeString('mimeType', { description: 'Media type of the original, sniffed from its bytes.' }),
    byteSize: t.exposeInt('byteSize', { description: 'Size of the original in bytes.' }),
    image: t.field({
      type: ImageRef,
      description: 'The original as uploaded.',
      select: {
        columns: { publicId: true, originalExtension: true, version: true, width: true, height: true },
        extras: { inPublicAlbum: (table) => photoIsPublic(table.id) },
      },
      resolve: (photo, _args, ctx) => ({
        url: imageUrl(photo, 'original', photo.inPublicAlbum ? undefined : ctx.signing),
        width: photo.width,
        height: photo.height,
      }),
    }),
    albums: t.relation('albums', {
      description: 'Albums this photo belongs to (for anonymous callers, the public ones).',
      query: (_args, ctx) => ({
        where: isAdmin(ctx) ? {} : PUBLIC_ALBUM_WHERE,
        orderBy: { title: 'asc', id: 'asc' },
      }),
    }),
  }),
});
