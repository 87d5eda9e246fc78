import type Database from 'better-sqlite3';
import { BoundedMemo } from '../bounded-memo.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { PHOTO_IS_PUBLIC_SQL } from './access.ts';

export interface PhotoFile {
  publicId: string;
  originalPath: string;
  mimeType: string;
  extension: string;
  version: number;
  /** The version and URL key as `?v=` carries them, so the hot path compares strings. */
  versionText: string;
  /** Rotated when the photo stops being public or leaves a shared album (see url-keys.ts): a URL naming another key is dead. */
  urlKey: string;
  /** As displayed: what derivatives are sized from. */
  width: number;
  height: number;
  /** EXIF orientation of the original, which its public copy keeps. */
  orientation: number;
  /** The owner's rotation, clockwise after the orientation. */
  quarterTurns: number;
  /** In at least one public album: servable without a signature. */
  isPublic: boolean;
}

interface PhotoFileRow {
  public_id: string;
  width: number;
  height: number;
  orientation: number;
  quarter_turns: number;
  content_hash: string;
  original_extension: string;
  mime_type: string;
  version: number;
  url_key: string;
  is_public: 0 | 1;
}

/** What `v` carries: the version (a reprocess changes it) and the URL key (unpublishing changes it). images/image-url.ts's urlKeyOf reads it back. */
export function urlVersion(version: number, urlKey: string): string {
  return urlKey === '' ? String(version) : `${version}.${urlKey}`;
}

/**
 * A row's heap apart from its strings' characters: the object (11 fields), its map entry, the
 * headers of its strings. 455 B a row were measured in all (75,000 rows, after a full collection)
 * where weighRow counts 560; test/image-memory.test.ts fails if the heap ever outgrows the count.
 */
const ROW_BYTES_FIXED = 400;
/** An id that names no photo, kept as such so asking again costs what asking for a photo does. */
const NO_PHOTO: PhotoFile = Object.freeze({
  publicId: '',
  originalPath: '',
  mimeType: '',
  extension: '',
  version: 0,
  versionText: '',
  urlKey: '',
  width: 0,
  height: 0,
  orientation: 0,
  quarterTurns: 0,
  isPublic: false,
});

/** Heap bytes of one remembered row, over-counted: one-byte strings, each character one byte. */
function weighRow(publicId: string, file: PhotoFile): number {
  return (
    ROW_BYTES_FIXED +
    publicId.length +
    file.originalPath.length +
    file.mimeType.length +
    file.extension.length +
    file.versionText.length +
    file.urlKey.length
  );
}

/**
 * The image route's view of the photos table. Rows are remembered only while the database
 * version stays the same: the version is read once per request, at its start (one `pread`, see
 * DatabaseVersion), and any commit, by this process or another (`lightbox import`, a worker),
 * empties the memory, so a request never sees a row older than the last commit before it came.
 * Reading the row through SQL costs several times more.
 */
export class PhotoFileLookup {
  private readonly statement: Database.Statement<[string], PhotoFileRow>;
  private version = 0;
  private readonly remembered: BoundedMemo<string, PhotoFile>;

  constructor(
    sqlite: Database.Database,
    private readonly layout: StorageLayout,
    private readonly currentVersion: () => number,
    /** What the remembered rows may take, by weighRow's count (about 560 B a row); past it the least recently asked go. */
    memoryBytes: number,
  ) {
    this.remembered = new BoundedMemo(memoryBytes, weighRow);
    this.statement = sqlite.prepare<[string], PhotoFileRow>(
      `SELECT public_id, width, height, orientation, quarter_turns, content_hash, original_extension, mime_type, version, url_key, ${PHOTO_IS_PUBLIC_SQL} AS is_public
         FROM photos WHERE public_id = ?`,
    );
  }

  /** Bytes the remembered rows take by weighRow's count (for tests and the bench). */
  get memoryBytes(): number {
    return this.remembered.weight;
  }

  find(publicId: string): PhotoFile | undefined {
    const now = this.currentVersion();
    if (now !== this.version) {
      this.version = now;
      this.remembered.clear();
    }
    const kept = this.remembered.find(publicId);
    if (kept !== undefined) return kept === NO_PHOTO ? undefined : kept;
    const file = this.read(publicId);
    // The row's own id as the key: the id asked is a slice of the request's URL, which it would keep alive.
    this.remembered.keep(file?.publicId ?? copyOf(publicId), file ?? NO_PHOTO);
    return file;
  }

  private read(publicId: string): PhotoFile | undefined {
    const row = this.statement.get(publicId);
    if (row === undefined) return undefined;
    return {
      publicId: row.public_id,
      width: row.width,
      height: row.height,
      orientation: row.orientation,
      quarterTurns: row.quarter_turns,
      originalPath: this.layout.originalPath(row.content_hash, row.original_extension),
      mimeType: row.mime_type,
      extension: row.original_extension,
      version: row.version,
      versionText: urlVersion(row.version, row.url_key),
      urlKey: row.url_key,
      isPublic: row.is_public === 1,
    };
  }
}

/** A string of its own characters, holding on to no larger string it was cut from. */
function copyOf(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}
