import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { newPublicId } from '../../src/ids.ts';
import { StorageLayout } from '../../src/storage/layout.ts';

export interface BigAlbumOptions {
  /** Photos in the album. */
  photos: number;
  /** Bytes of each distinct file. */
  fileBytes: number;
  /** Distinct files the photos' originals share (each is hard-linked at every path that uses it). */
  files: number;
  title?: string;
}

export interface BigAlbum {
  albumPublicId: string;
  /** Bytes of all the photos' originals together: what the archive holds. */
  totalBytes: number;
}

/**
 * A private album of many large photos in seconds, in a data dir whose database exists (the
 * server made it): `files` files of random bytes, each hard-linked at the original path of every
 * photo that uses it (no disk beyond the distinct files), and one photo row each (INSERT, no
 * decoding), as bench/lib/scale-library.ts copies rows. Only the admin's download reads them
 * (the untouched files are sent as they are, never decoded).
 */
export function buildBigAlbum(dataDir: string, options: BigAlbumOptions): BigAlbum {
  const layout = new StorageLayout(dataDir);
  const seeds: string[] = [];
  mkdirSync(layout.tempDir, { recursive: true });
  for (let f = 0; f < options.files; f++) {
    const seed = path.join(layout.tempDir, `big-album-seed-${f}.jpg`);
    writeFileSync(seed, randomBytes(options.fileBytes));
    seeds.push(seed);
  }
  const sqlite = new Database(path.join(dataDir, 'lightbox.db'));
  try {
    sqlite.pragma('busy_timeout = 10000');
    const albumPublicId = newPublicId();
    const insertPhoto = sqlite.prepare(
      `INSERT INTO photos (public_id, title, status, content_hash, byte_size, mime_type, original_extension, original_filename, width, height)
       VALUES (?, ?, 'READY', ?, ?, 'image/jpeg', 'jpg', ?, 4000, 3000)`,
    );
    const insertMember = sqlite.prepare('INSERT INTO album_photos (album_id, photo_id, position) VALUES (?, ?, ?)');
    sqlite.transaction(() => {
      const album = sqlite
        .prepare(`INSERT INTO albums (public_id, title, visibility) VALUES (?, ?, 'PRIVATE')`)
        .run(albumPublicId, options.title ?? 'Big album');
      for (let i = 0; i < options.photos; i++) {
        const hash = randomBytes(32).toString('hex');
        const original = layout.originalPath(hash, 'jpg');
        mkdirSync(path.dirname(original), { recursive: true });
        linkSync(seeds[i % seeds.length] as string, original);
        const photo = insertPhoto.run(newPublicId(), `Big ${i}`, hash, options.fileBytes, `big-${i}.jpg`);
        insertMember.run(album.lastInsertRowid, photo.lastInsertRowid, i);
      }
    })();
    return { albumPublicId, totalBytes: options.photos * options.fileBytes };
  } finally {
    sqlite.close();
  }
}
