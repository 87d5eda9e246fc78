import { Readable } from 'node:stream';
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type AlbumRow,
  addPhotosToAlbum,
  createAlbum,
  deleteAlbum,
  findAlbumRowId,
  movePhotoInAlbum,
  removePhotosFromAlbum,
  setAlbumCover,
  setAlbumPhotoOrder,
  updateAlbum,
} from '../catalog/albums.ts';
import { deletePhoto, type PhotoRow, photoByRowId, reprocessPhoto, rotatePhoto, updatePhoto, updatePhotos } from '../catalog/photos.ts';
import { type ClientErrorCode, UrlFetchError, ValidationError } from '../errors.ts';
import { type IngestRejection, ingestStaged, type StagedFile, stageInput } from '../processing/ingest.ts';
import { fetchImage } from '../processing/url-fetch.ts';
import { AlbumPhotoOrderEnum, AlbumVisibilityEnum } from './album.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { ErrorCodeEnum, mutationErrors } from './errors.ts';
import { written } from './loaders.ts';
import { AlbumRef, PhotoRef } from './refs.ts';

/** Decoded global ids carry the public id; the catalog works with those. */
const publicIds = (ids: readonly { id: string }[]) => ids.map((id) => id.id);

const AlbumPayload = builder.objectRef<{ album: AlbumRow }>('AlbumPayload').implement({
  description: 'The album as it is after the change.',
  fields: (t) => ({ album: t.field({ type: AlbumRef, resolve: (payload, _args, ctx) => written(ctx.loaders.albums, payload.album.id) }) }),
});

const PhotoPayload = builder.objectRef<{ photo: PhotoRow }>('PhotoPayload').implement({
  description: 'The photo as it is after the change.',
  fields: (t) => ({ photo: t.field({ type: PhotoRef, resolve: (payload, _args, ctx) => written(ctx.loaders.photos, payload.photo.id) }) }),
});

const DeletedPayload = builder.objectRef<{ deletedId: string }>('DeletedPayload').implement({
  description: 'What was deleted, by the global id it had.',
  fields: (t) => ({ deletedId: t.exposeID('deletedId') }),
});

const CreateAlbumInput = builder.inputType('CreateAlbumInput', {
  fields: (t) => ({
    title: t.string({ required: true }),
    description: t.string(),
    visibility: t.field({ type: AlbumVisibilityEnum, description: 'PRIVATE unless said otherwise.' }),
    photoOrder: t.field({ type: AlbumPhotoOrderEnum, description: 'TAKEN_AT unless said otherwise.' }),
  }),
});

const UpdateAlbumInput = builder.inputType('UpdateAlbumInput', {
  description: 'Fields left out (or null) stay as they are.',
  fields: (t) => ({
    id: t.globalID({ required: true, for: AlbumRef }),
    title: t.string(),
    description: t.string(),
    visibility: t.field({ type: AlbumVisibilityEnum }),
    photoOrder: t.field({
      type: AlbumPhotoOrderEnum,
      description: "MANUAL shows the owner's last arrangement again; TAKEN_AT orders by capture time and keeps that arrangement for later.",
    }),
  }),
});

const UpdatePhotoInput = builder.inputType('UpdatePhotoInput', {
  description: 'Fields left out (or null) stay as they are.',
  fields: (t) => ({
    id: t.globalID({ required: true, for: PhotoRef }),
    title: t.string(),
    description: t.string(),
    favorite: t.boolean(),
    rating: t.int({ description: '0 (none) to 5 stars.' }),
    keywords: t.stringList({ description: 'All of its keywords afterwards (an empty list: none); up to 100, each up to 100 characters.' }),
  }),
});

const UpdatePhotosInput = builder.inputType('UpdatePhotosInput', {
  description: 'The same change to many photos; fields left out (or null) stay as they are.',
  fields: (t) => ({
    ids: t.globalIDList({ required: true, for: PhotoRef, description: 'Up to 1,000 photos.' }),
    favorite: t.boolean(),
    rating: t.int({ description: '0 (none) to 5 stars.' }),
    addKeywords: t.stringList({ description: 'Given to every photo (those it has stay).' }),
    removeKeywords: t.stringList({ description: 'Taken off every photo (done before addKeywords).' }),
  }),
});

const PhotosPayload = builder.objectRef<{ photos: PhotoRow[] }>('PhotosPayload').implement({
  description: 'The photos as they are after the change, in the order asked.',
  fields: (t) => ({
    photos: t.field({
      type: [PhotoRef],
      resolve: (payload, _args, ctx) => payload.photos.map((photo) => written(ctx.loaders.photos, photo.id)),
    }),
  }),
});

const albumResult = (album: AlbumRow) => ({ album });

type UploadOutcome =
  | { kind: 'uploaded'; filename: string; duplicate: boolean; photo: PhotoRow }
  | { kind: 'rejected'; filename: string; code: ClientErrorCode; message: string };

const UploadedPhotoRef = builder.objectRef<Extract<UploadOutcome, { kind: 'uploaded' }>>('UploadedPhoto').implement({
  description: 'A file that is now a photo: new, or one the library already had (same bytes).',
  isTypeOf: (value) => (value as UploadOutcome).kind === 'uploaded',
  fields: (t) => ({
    filename: t.exposeString('filename'),
    duplicate: t.exposeBoolean('duplicate', {
      description: 'True when the same bytes were already in the library: no second copy was made.',
    }),
    photo: t.field({ type: PhotoRef, resolve: (outcome, _args, ctx) => written(ctx.loaders.photos, outcome.photo.id) }),
  }),
});

const RejectedUploadRef = builder.objectRef<Extract<UploadOutcome, { kind: 'rejected' }>>('RejectedUpload').implement({
  description: 'A file that was not stored, and why.',
  isTypeOf: (value) => (value as UploadOutcome).kind === 'rejected',
  fields: (t) => ({
    filename: t.exposeString('filename'),
    code: t.expose('code', {
      type: ErrorCodeEnum,
      description: 'UNSUPPORTED_MEDIA, TOO_LARGE or INVALID_IMAGE; for URL imports also FORBIDDEN_ADDRESS or FETCH_FAILED.',
    }),
    message: t.exposeString('message'),
  }),
});

const UploadResultRef = builder.unionType('UploadResult', { types: [UploadedPhotoRef, RejectedUploadRef] });

const UploadPhotosPayload = builder.objectRef<{ results: UploadOutcome[] }>('UploadPhotosPayload').implement({
  description: 'One result per file, in the order the files were sent.',
  fields: (t) => ({ results: t.field({ type: [UploadResultRef], resolve: (payload) => payload.results }) }),
});

function rejection(filename: string, outcome: IngestRejection): UploadOutcome {
  return { kind: 'rejected', filename, code: outcome.code, message: outcome.reason };
}

const ImportPhotoPayload = builder.objectRef<{ result: UploadOutcome }>('ImportPhotoPayload').implement({
  fields: (t) => ({ result: t.field({ type: UploadResultRef, resolve: (payload) => payload.result }) }),
});

const URL_IMPORT_TIMEOUT_MS = 20_000;
const URL_IMPORT_MAX_REDIRECTS = 3;

/** Stores a staged file as a photo and says what became of it. */
async function storeUpload(ctx: GraphQLContext, staged: StagedFile, filename: string, albumId: number | undefined): Promise<UploadOutcome> {
  const outcome = await ingestStaged({ db: ctx.db, layout: ctx.layout, files: ctx.files }, staged, filename, {
    album: albumId === undefined ? undefined : { id: albumId },
  });
  if (outcome.kind === 'unsupported' || outcome.kind === 'failed') return rejection(filename, outcome);
  const photo = photoByRowId(ctx.db, outcome.photoId) as PhotoRow;
  return { kind: 'uploaded', filename, duplicate: outcome.kind === 'duplicate', photo };
}

builder.mutationType({
  // Every mutation is the admin's, declared once: a new one cannot forget the check.
  authScopes: { admin: true },
  fields: (t) => ({
    importPhotoFromUrl: t.field({
      type: ImportPhotoPayload,
      description:
        'Fetches an image over http(s) and stores it as a photo. Special-purpose addresses (loopback, private, link-local, cloud metadata, …) are refused, for the URL and every redirect (at most 3); the whole import has a deadline (LIGHTBOX_IMPORT_TIMEOUT_S) and stops if the client goes away.',
      errors: mutationErrors('ImportPhotoFromUrl'),
      args: { url: t.arg.string({ required: true }), albumId: t.arg.globalID({ for: AlbumRef }) },
      resolve: async (_root, args, ctx) => {
        if (args.url.length > 2048) throw new ValidationError('url', 'url must be at most 2048 characters');
        const album = args.albumId ? findAlbumRowId(ctx.db, args.albumId.id) : undefined;
        // One deadline for the whole import, and none of it outlives the client that asked.
        const deadline = AbortSignal.timeout(ctx.ingest.importTimeoutSeconds * 1000);
        const overdue = (): UploadOutcome => ({
          kind: 'rejected',
          filename: args.url,
          code: 'FETCH_FAILED',
          message: `the import took longer than ${ctx.ingest.importTimeoutSeconds} s (LIGHTBOX_IMPORT_TIMEOUT_S)`,
        });
        let fetched: Awaited<ReturnType<typeof fetchImage>>;
        try {
          fetched = await fetchImage(args.url, {
            allowHosts: ctx.ingest.importAllowHosts,
            timeoutMs: URL_IMPORT_TIMEOUT_MS,
            maxRedirects: URL_IMPORT_MAX_REDIRECTS,
            maxBytes: ctx.ingest.maxBytes,
            signal: AbortSignal.any([deadline, ctx.signal]),
          });
        } catch (error) {
          if (!(error instanceof UrlFetchError)) throw error;
          if (error.code === 'INVALID_URL') throw new ValidationError('url', error.message);
          if (deadline.aborted) return { result: overdue() };
          return { result: { kind: 'rejected' as const, filename: args.url, code: error.code, message: error.message } };
        }
        try {
          const staged = await stageInput({ db: ctx.db, layout: ctx.layout, maxBytes: ctx.ingest.maxBytes }, Readable.from(fetched.body));
          if ('failed' in staged) return { result: deadline.aborted ? overdue() : rejection(fetched.filename, staged.failed) };
          return { result: await storeUpload(ctx, staged, fetched.filename, album) };
        } finally {
          await fetched.close();
        }
      },
    }),
    uploadPhotos: t.field({
      type: UploadPhotosPayload,
      description:
        'Stores uploaded files as photos (multipart request), optionally adding them to an album; each file gets its own result.',
      errors: mutationErrors('UploadPhotos'),
      args: {
        files: t.arg({ type: ['File'], required: true }),
        albumId: t.arg.globalID({ for: AlbumRef }),
      },
      resolve: async (_root, args, ctx) => {
        if (args.files.length === 0) throw new ValidationError('files', 'send at least one file');
        const album = args.albumId ? findAlbumRowId(ctx.db, args.albumId.id) : undefined;
        const results: UploadOutcome[] = [];
        for (const token of args.files) {
          const upload = ctx.uploads.get(token);
          if (upload === undefined)
            throw new ValidationError('files', 'files must be sent as multipart uploads (GraphQL multipart request spec)');
          ctx.uploads.delete(token);
          if ('failed' in upload) {
            results.push(rejection(upload.filename, upload.failed));
            continue;
          }
          results.push(await storeUpload(ctx, upload.staged, upload.filename, album));
        }
        return { results };
      },
    }),
    createAlbum: t.field({
      type: AlbumPayload,
      errors: mutationErrors('CreateAlbum'),
      args: { input: t.arg({ type: CreateAlbumInput, required: true }) },
      resolve: (_root, { input }, ctx) => {
        return albumResult(createAlbum(ctx.db, input));
      },
    }),
    updateAlbum: t.field({
      type: AlbumPayload,
      errors: mutationErrors('UpdateAlbum'),
      args: { input: t.arg({ type: UpdateAlbumInput, required: true }) },
      resolve: (_root, { input }, ctx) => {
        return albumResult(updateAlbum(ctx.db, input.id.id, input));
      },
    }),
    deleteAlbum: t.field({
      type: DeletedPayload,
      description: 'Deletes the album; its photos stay in the library.',
      errors: mutationErrors('DeleteAlbum'),
      args: { id: t.arg.globalID({ required: true, for: AlbumRef }) },
      resolve: (_root, { id }, ctx) => {
        deleteAlbum(ctx.db, id.id);
        return { deletedId: encodeGlobalID(id.typename, id.id) };
      },
    }),
    addPhotosToAlbum: t.field({
      type: AlbumPayload,
      description:
        'Adds photos at `position` (0 = first; default: the end, or their place by capture time in a TAKEN_AT album). Photos already in the album move there. A position switches the album to MANUAL, from the order it showed.',
      errors: mutationErrors('AddPhotosToAlbum'),
      args: {
        albumId: t.arg.globalID({ required: true, for: AlbumRef }),
        photoIds: t.arg.globalIDList({ required: true, for: PhotoRef }),
        position: t.arg.int(),
      },
      resolve: (_root, args, ctx) => {
        return albumResult(addPhotosToAlbum(ctx.db, args.albumId.id, publicIds(args.photoIds), args.position));
      },
    }),
    removePhotosFromAlbum: t.field({
      type: AlbumPayload,
      description: 'Takes photos out of the album; they stay in the library.',
      errors: mutationErrors('RemovePhotosFromAlbum'),
      args: {
        albumId: t.arg.globalID({ required: true, for: AlbumRef }),
        photoIds: t.arg.globalIDList({ required: true, for: PhotoRef }),
      },
      resolve: (_root, args, ctx) => {
        return albumResult(removePhotosFromAlbum(ctx.db, args.albumId.id, publicIds(args.photoIds)));
      },
    }),
    movePhotoInAlbum: t.field({
      type: AlbumPayload,
      description: 'Moves one photo of the album to `position` (0 = first) in the order it shows; the album is MANUAL from then on.',
      errors: mutationErrors('MovePhotoInAlbum'),
      args: {
        albumId: t.arg.globalID({ required: true, for: AlbumRef }),
        photoId: t.arg.globalID({ required: true, for: PhotoRef }),
        position: t.arg.int({ required: true }),
      },
      resolve: (_root, args, ctx) => {
        return albumResult(movePhotoInAlbum(ctx.db, args.albumId.id, args.photoId.id, args.position));
      },
    }),
    setAlbumPhotoOrder: t.field({
      type: AlbumPayload,
      description:
        "Sets the album's whole order: `photoIds` must list every photo of the album exactly once. The album is MANUAL from then on.",
      errors: mutationErrors('SetAlbumPhotoOrder'),
      args: {
        albumId: t.arg.globalID({ required: true, for: AlbumRef }),
        photoIds: t.arg.globalIDList({ required: true, for: PhotoRef }),
      },
      resolve: (_root, args, ctx) => {
        return albumResult(setAlbumPhotoOrder(ctx.db, args.albumId.id, publicIds(args.photoIds)));
      },
    }),
    setAlbumCover: t.field({
      type: AlbumPayload,
      description: "Makes one of the album's photos its cover; null goes back to the first photo.",
      errors: mutationErrors('SetAlbumCover'),
      args: {
        albumId: t.arg.globalID({ required: true, for: AlbumRef }),
        photoId: t.arg.globalID({ for: PhotoRef }),
      },
      resolve: (_root, args, ctx) => {
        return albumResult(setAlbumCover(ctx.db, args.albumId.id, args.photoId?.id ?? null));
      },
    }),
    updatePhoto: t.field({
      type: PhotoPayload,
      errors: mutationErrors('UpdatePhoto'),
      args: { input: t.arg({ type: UpdatePhotoInput, required: true }) },
      resolve: (_root, { input }, ctx) => {
        return { photo: updatePhoto(ctx.db, input.id.id, input) };
      },
    }),
    updatePhotos: t.field({
      type: PhotosPayload,
      description: 'Marks many photos at once: all of them, or none when an id names no photo (NotFoundError names it).',
      errors: mutationErrors('UpdatePhotos'),
      args: { input: t.arg({ type: UpdatePhotosInput, required: true }) },
      resolve: (_root, { input }, ctx) => {
        return { photos: updatePhotos(ctx.db, publicIds(input.ids), input) };
      },
    }),
    deletePhoto: t.field({
      type: DeletedPayload,
      description: 'Deletes the photo, its album memberships and its files.',
      errors: mutationErrors('DeletePhoto'),
      args: { id: t.arg.globalID({ required: true, for: PhotoRef }) },
      resolve: async (_root, { id }, ctx) => {
        await deletePhoto(ctx.db, ctx.files, id.id);
        return { deletedId: encodeGlobalID(id.typename, id.id) };
      },
    }),
    reprocessPhoto: t.field({
      type: PhotoPayload,
      description: 'Bumps the photo version (new image URLs, renditions made again) and queues it for processing.',
      errors: mutationErrors('ReprocessPhoto'),
      args: { id: t.arg.globalID({ required: true, for: PhotoRef }) },
      resolve: (_root, { id }, ctx) => {
        return { photo: reprocessPhoto(ctx.db, id.id) };
      },
    }),
    rotatePhoto: t.field({
      type: PhotoPayload,
      description:
        'Turns the photo by quarter turns, clockwise when positive: a new version (new image URLs, every rendition cut again, turned); the original file is not changed.',
      errors: mutationErrors('RotatePhoto'),
      args: {
        id: t.arg.globalID({ required: true, for: PhotoRef }),
        quarterTurns: t.arg.int({ required: true, defaultValue: 1, description: '1, 2 or 3 clockwise; -1, -2 or -3 counter-clockwise.' }),
      },
      resolve: (_root, { id, quarterTurns }, ctx) => {
        return { photo: rotatePhoto(ctx.db, id.id, quarterTurns) };
      },
    }),
  }),
});
