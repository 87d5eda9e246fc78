import type { ReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZipFile } from 'yazl';
import type { Viewer } from '../auth/viewer.ts';
import { type DownloadableAlbum, type DownloadMember, downloadMembersPage } from '../catalog/album-download.ts';
import type { KeyValue } from '../catalog/keyset.ts';
import type { Reads } from '../db/statements.ts';
import { hasErrorCode, StorageUnavailableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { publicOriginalExtension } from '../media/public-original.ts';
import { publicOriginalRender, type RenderQueue } from '../media/render-queue.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { EntryNames, photoBaseName } from './zip-names.ts';

/**
 * An album as a ZIP, written while it is sent: one photo at a time, read from disk at the pace
 * the client takes it (backpressure through yazl into the response), never held in memory or in
 * a temp file. What is kept grows only by the archive's own directory (one name and a few
 * numbers per photo, written at the end, as every ZIP must) and the names given so far.
 *
 * - Entries are STORED: JPEG, HEIF and WebP are compressed already, deflating them again costs
 *   CPU for a percent or two. yazl switches to ZIP64 by itself past 4 GB.
 * - The admin gets the uploaded files; a share link's holder the public copies (no metadata),
 *   each made first when it is missing, through the image route's render queue, one at a time.
 * - Members are read a page at a time in album order (catalog/album-download.ts), and names
 *   given in that order (zip-names.ts), so the same album unpacks under the same names.
 * - A client gone, a link revoked meanwhile, or a file that fails mid-read ends the archive
 *   there: the file being read is closed and nothing further is opened.
 */

/** Members read per statement. */
const PAGE_SIZE = 200;
/** Read size for the files: as the image route's streams. */
const HIGH_WATER_MARK = 64 * 1024;
/** A busy render queue is waited for, not failed: the download is one client, patient by nature. */
const RENDER_RETRY_MS = 250;
const RENDER_RETRIES = 240;
const FILE_MODE = 0o100644;

export interface AlbumZipDeps {
  reads: Reads;
  layout: StorageLayout;
  /** Where the files are: a bucket's are fetched into the local cache before they are read. */
  files: FileStore;
  renderer: RenderQueue;
  logger: Logger;
}

export interface AlbumZipRequest {
  viewer: Viewer;
  album: DownloadableAlbum;
  /** Asked before each photo: false ends the archive (a share link revoked meanwhile). */
  stillAllowed(): boolean;
}

/** How the archive ended: whole, or cut short (the client went, the grant ended, a file failed). */
export type ZipOutcome = { kind: 'complete'; entries: number } | { kind: 'cut'; entries: number; reason: string };

/** Writes the album's archive into `output` (a response whose headers are sent), ending it when the archive is whole. */
export async function writeAlbumZip(deps: AlbumZipDeps, request: AlbumZipRequest, output: Writable): Promise<ZipOutcome> {
  const zip = new ZipFile();
  const archive = zip.outputStream as NodeJS.ReadableStream & { destroy(error?: Error): void };
  let cut: string | undefined;
  let reading: ReadStream | undefined;
  const stop = (reason: string) => {
    cut ??= reason;
    reading?.destroy();
    archive.destroy();
  };
  zip.on('error', (error: Error) => {
    deps.logger.error({ err: error, album: request.album.publicId }, 'album archive failed');
    stop('archive failed');
  });
  const sent = pipeline(archive, output).catch(() => stop('client went away'));
  const names = new EntryNames();
  let entries = 0;
  for (const photo of albumMembers(deps.reads, request)) {
    if (cut !== undefined) break;
    if (!request.stillAllowed()) {
      stop('no longer allowed');
      break;
    }
    let file: EntryFile | undefined;
    try {
      file = await openEntryFile(deps, request.album, photo);
    } catch (error) {
      // A photo the bucket cannot give now is not a missing one: an archive without it would look whole.
      if (!(error instanceof StorageUnavailableError)) throw error;
      deps.logger.error({ err: error, photo: photo.publicId }, 'the bucket did not answer an album download');
      stop('the bucket did not answer');
      break;
    }
    if (file === undefined) continue;
    if (cut !== undefined) {
      await file.handle.close();
      break;
    }
    const stream = file.handle.createReadStream({ highWaterMark: HIGH_WATER_MARK });
    reading = stream;
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    stream.on('error', (error) => {
      deps.logger.error({ err: error, photo: photo.publicId }, 'photo file failed while it was archived');
      stop('a file failed');
    });
    zip.addReadStreamLazy(
      names.next(photoBaseName(photo.title, photo.originalFilename), file.extension),
      { compress: false, size: file.size, mtime: new Date(photo.takenAt ?? photo.createdAt), mode: FILE_MODE },
      (give) => give(null, stream),
    );
    // The next file is opened only once this one is read to its end (or destroyed): one descriptor at a time.
    await closed;
    reading = undefined;
    if (cut === undefined) entries++;
  }
  if (cut === undefined) zip.end();
  await sent;
  return cut === undefined ? { kind: 'complete', entries } : { kind: 'cut', entries, reason: cut };
}

/** The album's members in album order, a page at a time. */
function* albumMembers(reads: Reads, request: AlbumZipRequest): Generator<DownloadMember> {
  let after: KeyValue[] | undefined;
  for (;;) {
    const page = downloadMembersPage(reads, request.viewer, request.album, after, PAGE_SIZE);
    yield* page;
    const last = page[page.length - 1];
    if (last === undefined || page.length < PAGE_SIZE) return;
    after = [last.orderKey, last.id];
  }
}

interface EntryFile {
  handle: FileHandle;
  size: number;
  extension: string;
}

/**
 * The file an entry is read from, open: the uploaded file, or the public copy (rendered first
 * when missing). A photo whose file cannot be had is left out of the archive, and logged: one
 * broken photo does not cost the owner the other thousand.
 */
async function openEntryFile(deps: AlbumZipDeps, album: DownloadableAlbum, photo: DownloadMember): Promise<EntryFile | undefined> {
  const originalPath = deps.layout.originalPath(photo.contentHash, photo.originalExtension);
  if (album.access === 'untouched') return openFile(deps, originalPath, photo.originalExtension, photo);
  const render = publicOriginalRender(deps.layout, {
    publicId: photo.publicId,
    originalPath,
    extension: photo.originalExtension,
    mimeType: photo.mimeType,
    version: photo.version,
    orientation: photo.orientation,
    quarterTurns: photo.quarterTurns,
  });
  const extension = publicOriginalExtension(photo.originalExtension);
  const made = await openFile(deps, render.destination, extension, photo, true);
  if (made !== undefined) return made;
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.renderer.ensure(render);
      break;
    } catch (error) {
      if (error instanceof StorageUnavailableError) throw error;
      if (hasErrorCode(error, 'RENDER_BUSY') && attempt < RENDER_RETRIES) {
        await sleep(RENDER_RETRY_MS);
        continue;
      }
      deps.logger.error({ err: error, photo: photo.publicId }, 'public copy could not be made for an album download');
      return undefined;
    }
  }
  return openFile(deps, render.destination, extension, photo);
}

async function openFile(
  deps: AlbumZipDeps,
  path: string,
  extension: string,
  photo: DownloadMember,
  mayBeMissing = false,
): Promise<EntryFile | undefined> {
  let handle: FileHandle | undefined;
  try {
    // A bucket's file is fetched into the local cache first; the local disk's is there or not.
    if (!(await deps.files.fetch(path))) throw Object.assign(new Error(`${path} is missing`), { code: 'ENOENT' });
    handle = await open(path, 'r');
    const stats = await handle.stat();
    return { handle, size: stats.size, extension };
  } catch (error) {
    await handle?.close();
    if (error instanceof StorageUnavailableError) throw error;
    if (!(mayBeMissing && (error as NodeJS.ErrnoException).code === 'ENOENT'))
      deps.logger.error({ err: error, photo: photo.publicId }, 'photo file is missing; left out of an album download');
    return undefined;
  }
}
