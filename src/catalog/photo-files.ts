import type Database from 'better-sqlite3';
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
  /** In at least one public album: servable without a signature. */
  isPublic: boolean;
}

interface PhotoFileRow {
  public_id: string;
  width: number;
  height: number;
  orientation: number;
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

/** Photo rows the image route remembers between commits (unknown ids too, as undefined); past it the memory starts over. */
const ROWS_REMEMBERED = 10_000;

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
  private readonly remembered = new Map<string, PhotoFile | undefined>();

  constructor(
    sqlite: Database.Database,
    private readonly layout: StorageLayout,
    private readonly currentVersion: () => number,
  ) {
    this.statement = sqlite.prepare<[string], PhotoFileRow>(
      `SELECT public_id, width, height, orientation, content_hash, original_extension, mime_type, version, url_key, ${PHOTO_IS_PUBLIC_SQL} AS is_public
         FROM photos WHERE public_id = ?`,
    );
  }

  find(publicId: string): PhotoFile | undefined {
    const now = this.currentVersion();
    if (now !== this.version || this.remembered.size >= ROWS_REMEMBERED) {
      this.version = now;
      this.remembered.clear();
    }
    let file = this.remembered.get(publicId);
    if (file === undefined && !this.remembered.has(publicId)) {
      file = this.read(publicId);
      this.remembered.set(publicId, file);
    }
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
