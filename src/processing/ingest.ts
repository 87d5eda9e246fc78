import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import { appendToAlbum, findOrCreateAlbum } from '../catalog/albums.ts';
import { addKeywords } from '../catalog/keywords.ts';
import { PROCESS_JOB } from '../catalog/photos.ts';
import { distinctKeywords, MAX_KEYWORDS_PER_PHOTO, validKeyword } from '../catalog/validation.ts';
import type { Db, Queryable } from '../db/client.ts';
import { type AlbumVisibility, jobs, photos } from '../db/schema.ts';
import { errorSummary, hasErrorCode, LightboxError } from '../errors.ts';
import { newPublicId, newUrlKey } from '../ids.ts';
import { type PhotoDetails, readPhotoDetails } from '../media/exif.ts';
import { MAX_INPUT_PIXELS } from '../media/limits.ts';
import { type MediaType, SNIFF_LENGTH, sniffMediaType } from '../media/media-type.ts';
import { type ProbedImage, probeImage } from '../media/probe.ts';
import { geoCellOf } from '../places/geo-cells.ts';
import { tempPath } from '../storage/atomic.ts';
import { type FileStore, filesOf } from '../storage/file-store.ts';
import type { StorageLayout } from '../storage/layout.ts';

/** When the caller names no limit (folder imports): the same as LIGHTBOX_UPLOAD_MAX_MB's default. */
export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

export interface IngestDeps {
  db: Db;
  layout: StorageLayout;
  /** Where originals are stored: the data dir's own folders unless given (a bucket library's store is always given). */
  files?: FileStore;
  maxBytes?: number;
  maxPixels?: number;
}

/** An existing album, or one found or created by title when the photo lands. */
export type AlbumTarget = { id: number } | { title: string; visibility: AlbumVisibility };

export interface IngestOptions {
  title?: string;
  originalFilename?: string;
  album?: AlbumTarget;
  /** Resolves when this file may write: a folder import uses it to keep album order = file order. */
  commitTurn?: () => Promise<void>;
}

export type IngestOutcome =
  | { kind: 'imported'; photoId: number; publicId: string }
  | { kind: 'duplicate'; photoId: number; publicId: string }
  /** Not an image format we accept: skipped, not an error. */
  | { kind: 'unsupported'; code: 'UNSUPPORTED_MEDIA'; reason: string }
  /** Claims to be an image but cannot be stored: too large, unreadable or undecodable. */
  | { kind: 'failed'; code: 'TOO_LARGE' | 'INVALID_IMAGE'; reason: string };

/** Why a file did not become a photo. */
export type IngestRejection = Extract<IngestOutcome, { code: unknown }>;

/** The outcome of a file over the byte limit. */
export function tooLarge(maxBytes: number): IngestRejection {
  return { kind: 'failed', code: 'TOO_LARGE', reason: `larger than the ${maxBytes}-byte limit` };
}

export interface StagedFile {
  temp: string;
  contentHash: string;
  byteSize: number;
  head: Uint8Array;
}

/** Copies the input to a temp file while hashing it, so a big file is read once and never held in memory. */
async function stage(input: Readable, tempDir: string, maxBytes: number): Promise<StagedFile> {
  await mkdir(tempDir, { recursive: true });
  const temp = tempPath(tempDir);
  const hash = createHash('sha256');
  let byteSize = 0;
  const headChunks: Buffer[] = [];
  let headLength = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      byteSize += chunk.length;
      if (byteSize > maxBytes) {
        // Failing the copy here stops reading: no more of an oversized file is ever stored.
        callback(new LightboxError('TOO_LARGE', `larger than the ${maxBytes}-byte limit`));
        return;
      }
      if (headLength < SNIFF_LENGTH) {
        headChunks.push(chunk.subarray(0, SNIFF_LENGTH - headLength));
        headLength += Math.min(chunk.length, SNIFF_LENGTH - headLength);
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(input, meter, createWriteStream(temp, { flags: 'wx' }));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { temp, contentHash: hash.digest('hex'), byteSize, head: Buffer.concat(headChunks) };
}

function findByHash(db: Queryable, contentHash: string) {
  return db.select({ id: photos.id, publicId: photos.publicId }).from(photos).where(eq(photos.contentHash, contentHash)).get();
}

function addToAlbum(db: Queryable, target: AlbumTarget, photoId: number): void {
  appendToAlbum(db, 'id' in target ? target.id : findOrCreateAlbum(db, target.title, target.visibility).id, [photoId]);
}

/**
 * Stores one image file: the original once per SHA-256 (temp file, then rename), then its row.
 * The file is in place before the row exists, so no row ever points at a missing file; a
 * failure in between leaves at worst an unreferenced original.
 */
export function ingestFile(deps: IngestDeps, source: string, options: IngestOptions = {}): Promise<IngestOutcome> {
  return ingestStream(deps, createReadStream(source), options.originalFilename ?? path.basename(source), options);
}

/** The same for bytes arriving as a stream: they are never held in memory whole. */
export async function ingestStream(
  deps: IngestDeps,
  input: Readable,
  filename: string,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const staged = await stageInput(deps, input);
  return 'failed' in staged ? staged.failed : ingestStaged(deps, staged, filename, options);
}

/** Streams an input into a temp file of the data dir, hashing it; a failure says why. */
export async function stageInput(deps: IngestDeps, input: Readable): Promise<StagedFile | { failed: IngestRejection }> {
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    return await stage(input, deps.layout.tempDir, maxBytes);
  } catch (error) {
    if (hasErrorCode(error, 'TOO_LARGE')) return { failed: tooLarge(maxBytes) };
    return { failed: { kind: 'failed', code: 'INVALID_IMAGE', reason: `could not be read: ${errorSummary(error)}` } };
  }
}

/** Turns a staged file into a photo (or a duplicate, or a reason); the temp file is gone afterwards either way. */
export async function ingestStaged(
  deps: IngestDeps,
  staged: StagedFile,
  filename: string,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  try {
    const sniffed = sniffMediaType(staged.head);
    if (!sniffed.supported) return { kind: 'unsupported', code: 'UNSUPPORTED_MEDIA', reason: sniffed.reason };
    const existing = findByHash(deps.db, staged.contentHash);
    if (existing) {
      await options.commitTurn?.();
      if (options.album !== undefined) addToAlbum(deps.db, options.album, existing.id);
      return { kind: 'duplicate', photoId: existing.id, publicId: existing.publicId };
    }
    let probed: ProbedImage;
    try {
      probed = await probeImage(staged.temp, sniffed.type.extension, deps.maxPixels ?? MAX_INPUT_PIXELS);
    } catch (error) {
      return { kind: 'failed', code: 'INVALID_IMAGE', reason: `could not be decoded: ${errorSummary(error)}` };
    }
    const details = await readPhotoDetails(staged.temp, sniffed.type.extension);
    await options.commitTurn?.();
    return await store(deps, staged, sniffed.type, probed, details, filename, options);
  } finally {
    await rm(staged.temp, { force: true });
  }
}

async function store(
  deps: IngestDeps,
  staged: StagedFile,
  type: MediaType,
  probed: ProbedImage,
  { metadata, title, rating, keywords }: PhotoDetails,
  filename: string,
  options: IngestOptions,
): Promise<IngestOutcome> {
  // Stored for good (renamed into place, or uploaded to the bucket) before the row exists.
  await filesOf(deps).storeOriginal(staged.temp, deps.layout.originalPath(staged.contentHash, type.extension), type.mimeType);
  const publicId = newPublicId();
  return deps.db.transaction((tx) => {
    const inserted = tx
      .insert(photos)
      .values({
        publicId,
        urlKey: newUrlKey(),
        // Asked for, else written into the file by its owner or an editor, else the file's name.
        title: options.title ?? title ?? path.parse(filename).name,
        status: 'PENDING',
        contentHash: staged.contentHash,
        byteSize: staged.byteSize,
        mimeType: type.mimeType,
        originalExtension: type.extension,
        originalFilename: filename,
        width: probed.width,
        height: probed.height,
        orientation: probed.orientation,
        rating: rating ?? 0,
        ...metadata,
        geoCell: geoCellOf(metadata.latitude, metadata.longitude),
      })
      .onConflictDoNothing({ target: photos.contentHash })
      .returning({ id: photos.id, publicId: photos.publicId })
      .get();
    // Another importer may have stored the same bytes between our lookup and this insert.
    const row = inserted ?? findByHash(tx, staged.contentHash);
    if (row === undefined) throw new Error(`photo with content hash ${staged.contentHash} vanished during import`);
    if (inserted) {
      tx.insert(jobs).values({ photoId: row.id, kind: PROCESS_JOB }).run();
      addKeywords(tx, [row.id], fileKeywords(keywords));
    }
    if (options.album !== undefined) addToAlbum(tx, options.album, row.id);
    const outcome: IngestOutcome = { kind: inserted ? 'imported' : 'duplicate', photoId: row.id, publicId: row.publicId };
    return outcome;
  });
}

/**
 * A file's keywords as the library keeps them: what validKeywords would refuse (too long, control
 * characters, past the most a photo carries) is dropped, never a reason to refuse the photo.
 */
function fileKeywords(written: readonly string[]): string[] {
  const valid = written.flatMap((keyword) => {
    try {
      return [validKeyword('keyword', keyword)];
    } catch {
      return []; // dropped, see above
    }
  });
  return distinctKeywords(valid).slice(0, MAX_KEYWORDS_PER_PHOTO);
}
