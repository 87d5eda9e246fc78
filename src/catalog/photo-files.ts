import type Database from 'better-sqlite3';
import { urlVersion } from '../http/image-url.ts';
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
  /** Rotated when the photo stops being public: a URL naming another key is dead. */
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

/**
 * The image route's one database touch per request: a prepared statement on the unique
 * public id. Reading through SQLite (not a cache) means rows written by another process,
 * such as `lightbox import`, are visible on the next request.
 */
export class PhotoFileLookup {
  private readonly statement: Database.Statement<[string], PhotoFileRow>;

  constructor(
    sqlite: Database.Database,
    private readonly layout: StorageLayout,
  ) {
    this.statement = sqlite.prepare<[string], PhotoFileRow>(
      `SELECT public_id, width, height, orientation, content_hash, original_extension, mime_type, version, url_key, ${PHOTO_IS_PUBLIC_SQL} AS is_public
         FROM photos WHERE public_id = ?`,
    );
  }

  find(publicId: string): PhotoFile | undefined {
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
