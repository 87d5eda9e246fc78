import { mayViewCaptureDetails, mayViewCuration, mayViewKeywords, mayViewOriginalFacts } from '../catalog/access.ts';
import type { PhotoDetails, PhotoRecord } from '../catalog/photo-records.ts';
import { PHOTO_STATUSES } from '../catalog/photos.ts';
import { grantedImage, grantFor } from '../images/grant.ts';
import { type ImageFormat, type ImageVariant, variantDimensions } from '../media/variants.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { CameraRef, ExposureRef, LocationRef, type PlaceholderInfo, PlaceholderRef, PlaceRef } from './photo-metadata.ts';
import { RecordMemory } from './record-memory.ts';
import { AlbumRef, PhotoRef } from './refs.ts';

interface ImageInfo {
  url: string;
  width: number;
  height: number;
}

export const ImageRef = builder.objectRef<ImageInfo>('Image').implement({
  description: 'One rendition of a photo, ready for an <img> tag.',
  fields: (t) => ({
    url: t.exposeString('url', {
      description:
        "Root-relative URL of the image. It carries the version and a key that changes when the photo stops being public or leaves an album with share links, so browsers may cache it (for LIGHTBOX_PUBLIC_MAX_AGE, a year by default) and such a photo's old URLs die, even if it is published or put back again.",
    }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
  }),
});

const placeholders = new RecordMemory<PhotoRecord, PlaceholderInfo | null>();
const renditions = new RecordMemory<PhotoRecord, ImageInfo>();
const srcSets = new RecordMemory<PhotoRecord, string>();

function placeholderOf(photo: PhotoRecord, ctx: GraphQLContext): PlaceholderInfo | null {
  return placeholders.made(photo, '', ctx.reads.remembers, () =>
    photo.placeholderHash === null ? null : { hash: photo.placeholderHash, dominantColor: photo.dominantColor },
  );
}

/** A rendition as the viewer is handed it (images/grant.ts decides which URL, and which rendition ORIGINAL is). */
function renditionOf(ctx: GraphQLContext, photo: PhotoRecord, asked: ImageVariant, format: ImageFormat): ImageInfo {
  const grant = grantFor(ctx.signing, photo);
  return renditions.made(photo, `${asked}.${format}.${grant.key}`, ctx.reads.remembers, () => {
    const image = grantedImage(grant, photo, asked, format);
    return { url: image.url, ...variantDimensions(image.variant, photo.width, photo.height) };
  });
}

function srcSetOf(ctx: GraphQLContext, photo: PhotoRecord, format: ImageFormat): string {
  const grant = grantFor(ctx.signing, photo);
  return srcSets.made(photo, `${format}.${grant.key}`, ctx.reads.remembers, () => {
    const widths = new Set<number>();
    const entries: string[] = [];
    for (const variant of SRCSET_VARIANTS) {
      const { width } = variantDimensions(variant, photo.width, photo.height);
      if (widths.has(width)) continue;
      widths.add(width);
      entries.push(`${grantedImage(grant, photo, variant, format).url} ${width}w`);
    }
    return entries.join(', ');
  });
}

/** What a photo's details give, without a promise when they are known already (see Loaders.photoDetailsOf). */
function withDetails<Value>(photo: PhotoRecord, ctx: GraphQLContext, pick: (details: PhotoDetails) => Value): Value | Promise<Value> {
  const details = ctx.loaders.photoDetailsOf(photo);
  return details instanceof Promise ? details.then(pick) : pick(details);
}

function formatTakenAt(takenAt: number, offset: string | null): string {
  if (offset === null) return new Date(takenAt).toISOString().slice(0, 19);
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0] = offset.slice(1).split(':').map(Number);
  const local = new Date(takenAt + sign * (hours * 60 + minutes) * 60_000);
  return `${local.toISOString().slice(0, 19)}${offset}`;
}

export const ImageVariantEnum = builder.enumType('ImageVariant', {
  description: 'The closed set of renditions: THUMB is a square crop, SMALL/MEDIUM/LARGE fit inside 640/1280/2048 px, never upscaled.',
  values: {
    THUMB: { value: 'thumb' },
    SMALL: { value: 'small' },
    MEDIUM: { value: 'medium' },
    LARGE: { value: 'large' },
    ORIGINAL: { value: 'original' },
  } as const,
});

export const PhotoStatusEnum = builder.enumType('PhotoStatus', {
  description: 'PENDING and PROCESSING photos serve their original; READY ones have their metadata and placeholder; FAILED ones say why.',
  values: PHOTO_STATUSES,
});

export const ImageFormatEnum = builder.enumType('ImageFormat', {
  values: { AVIF: { value: 'avif' }, WEBP: { value: 'webp' }, JPG: { value: 'jpg' } } as const,
});

const SRCSET_VARIANTS = ['small', 'medium', 'large'] as const;

builder.node(PhotoRef, {
  id: { resolve: (photo) => photo.publicId },
  loadMany: (ids, ctx) => ids.map((id) => ctx.loaders.photosByPublicId.load(id)),
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'urlKey' in value,
  fields: (t) => ({
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    width: t.exposeInt('width', { description: 'Width as displayed: after the EXIF orientation and any rotatePhoto.' }),
    height: t.exposeInt('height', { description: 'Height as displayed: after the EXIF orientation and any rotatePhoto.' }),
    takenAt: t.string({
      nullable: true,
      description:
        'When the photo was taken, as the camera recorded it: an ISO 8601 local date-time, with the UTC offset when the camera stored one.',
      resolve: (photo, _args, ctx) => {
        const { takenAt } = photo;
        if (takenAt === null || !mayViewCaptureDetails(ctx.viewer)) return null;
        return withDetails(photo, ctx, ({ takenAtOffset }) => formatTakenAt(takenAt, takenAtOffset));
      },
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (photo) => photo.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (photo) => photo.updatedAt }),
    favorite: t.boolean({
      description: "One of the owner's favourites. The owner's alone: false for everyone else.",
      resolve: (photo, _args, ctx) => mayViewCuration(ctx.viewer) && withDetails(photo, ctx, (details) => details.favorite === 1),
    }),
    rating: t.int({
      description: "The owner's stars, 0 (none) to 5; read from the file's XMP rating at import. The owner's alone: 0 for everyone else.",
      resolve: (photo, _args, ctx) => (mayViewCuration(ctx.viewer) ? withDetails(photo, ctx, (details) => details.rating) : 0),
    }),
    keywords: t.stringList({
      description:
        "The owner's words for the photo (from the file's IPTC/XMP keywords at import, or set since), by name. Hidden, as an empty list, wherever the camera is.",
      resolve: (photo, _args, ctx) => (mayViewKeywords(ctx.viewer) ? ctx.loaders.photoKeywords.load(photo.id) : []),
    }),
    aspectRatio: t.float({
      description: 'Width divided by height, as displayed.',
      resolve: (photo) => photo.width / photo.height,
    }),
    status: t.expose('status', { type: PhotoStatusEnum }),
    failureReason: t.string({
      nullable: true,
      description: 'Why processing failed, when status is FAILED.',
      resolve: (photo, _args, ctx) => withDetails(photo, ctx, (details) => details.failureReason),
    }),
    version: t.exposeInt('version', { description: 'Bumped by every reprocess; image URLs carry it.' }),
    contentHash: t.string({
      nullable: true,
      description: 'SHA-256 of the uploaded file, hex; for the admin only (null for everyone else, who never receive that file).',
      resolve: (photo, _args, ctx) => (mayViewOriginalFacts(ctx.viewer) ? withDetails(photo, ctx, (details) => details.contentHash) : null),
    }),
    camera: t.field({
      type: CameraRef,
      nullable: true,
      resolve: (photo, _args, ctx) => {
        if (!mayViewCaptureDetails(ctx.viewer)) return null;
        return withDetails(photo, ctx, (details) =>
          details.cameraMake === null && details.cameraModel === null && details.lensModel === null
            ? null
            : { make: details.cameraMake, model: details.cameraModel, lens: details.lensModel },
        );
      },
    }),
    exposure: t.field({
      type: ExposureRef,
      nullable: true,
      resolve: (photo, _args, ctx) => {
        if (!mayViewCaptureDetails(ctx.viewer)) return null;
        return withDetails(photo, ctx, ({ exposureTime, fNumber, iso, focalLength }) =>
          exposureTime === null && fNumber === null && iso === null && focalLength === null
            ? null
            : { exposureTime, fNumber, iso, focalLength },
        );
      },
    }),
    location: t.field({
      type: LocationRef,
      nullable: true,
      description:
        "GPS position; null for anonymous callers, whatever the photo holds, and for share links' holders unless the link was made with showLocation (then for its album's photos only).",
      resolve: (photo, _args, ctx) =>
        withDetails(photo, ctx, ({ locationShown, latitude, longitude, altitude }) =>
          !locationShown || latitude === null || longitude === null ? null : { latitude, longitude, altitude },
        ),
    }),
    place: t.field({
      type: PlaceRef,
      nullable: true,
      description:
        'Where it was taken, by name: shown to whom its location is (see location); null without GPS, before processing, or with no place near.',
      resolve: (photo, _args, ctx) =>
        withDetails(photo, ctx, ({ locationShown, placeName, placeCountry, placeCountryCode }) =>
          !locationShown || placeName === null || placeCountry === null || placeCountryCode === null
            ? null
            : { name: placeName, country: placeCountry, countryCode: placeCountryCode },
        ),
    }),
    placeholder: t.field({
      type: PlaceholderRef,
      nullable: true,
      description: 'Null until processing has computed it.',
      resolve: (photo, _args, ctx) => placeholderOf(photo, ctx),
    }),
    mimeType: t.string({
      description: 'Media type of the original, sniffed from its bytes.',
      resolve: (photo, _args, ctx) => withDetails(photo, ctx, (details) => details.mimeType),
    }),
    byteSize: t.int({
      nullable: true,
      description: 'Size of the uploaded file in bytes; for the admin only (null for everyone else, who never receive that file).',
      resolve: (photo, _args, ctx) => (mayViewOriginalFacts(ctx.viewer) ? withDetails(photo, ctx, (details) => details.byteSize) : null),
    }),
    image: t.field({
      type: ImageRef,
      description:
        "One rendition, upright, without metadata. ORIGINAL ignores `format` and keeps the original's: the admin gets the uploaded file untouched (a signed URL), everyone else the same image at full resolution without EXIF, XMP, IPTC or GPS; holders of a share link that does not allow originals get LARGE instead.",
      args: {
        variant: t.arg({ type: ImageVariantEnum, defaultValue: 'medium' }),
        format: t.arg({ type: ImageFormatEnum, defaultValue: 'webp' }),
      },
      resolve: (photo, args, ctx) => renditionOf(ctx, photo, args.variant ?? 'medium', args.format ?? 'webp'),
    }),
    srcSet: t.string({
      description: 'A srcset value for <img>: the SMALL, MEDIUM and LARGE renditions with their widths.',
      args: { format: t.arg({ type: ImageFormatEnum, defaultValue: 'webp' }) },
      resolve: (photo, args, ctx) => srcSetOf(ctx, photo, args.format ?? 'webp'),
    }),
    albums: t.field({
      type: [AlbumRef],
      description: 'Albums this photo belongs to (for anonymous callers, the public ones).',
      resolve: (photo, _args, ctx) => ctx.loaders.photoAlbums.load(photo.id),
    }),
  }),
});
