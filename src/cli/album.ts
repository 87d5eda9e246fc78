import { type AlbumRow, albumsNamed, listAlbums, updateAlbum } from '../catalog/albums.ts';
import type { Config } from '../config.ts';
import type { Queryable } from '../db/client.ts';
import type { AlbumVisibility } from '../db/schema.ts';
import { LightboxError } from '../errors.ts';
import { openStore } from '../storage/open-store.ts';
import { NothingNamedError } from './failure.ts';
import { albumGlobalId, unwrapGlobalId } from './ids.ts';

/** `lightbox album list`: every album with its visibility, photo count and ids a person can paste. */
export async function listAlbumsCommand(config: Config): Promise<number> {
  const { database } = await openStore(config, { create: false });
  try {
    const rows = listAlbums(database.db);
    if (rows.length === 0) {
      process.stdout.write('No albums yet: `lightbox import <folder>` makes one per folder.\n');
      return 0;
    }
    for (const album of rows) {
      const photos = `${album.photoCount} photo${album.photoCount === 1 ? '' : 's'}`;
      process.stdout.write(`${album.visibility.padEnd(8)} ${album.title} (${photos})  id ${albumGlobalId(album.publicId)}\n`);
    }
    return 0;
  } finally {
    database.close();
  }
}

/** The one album a person named by title or id; a usage error when none or several answer to it. */
export function albumNamedOnCommandLine(db: Queryable, titleOrId: string): AlbumRow {
  const matches = albumsNamed(db, { publicId: unwrapGlobalId(titleOrId, 'Album'), title: titleOrId });
  if (matches.length === 0) {
    throw new NothingNamedError(`no album is titled or has the id "${titleOrId}"`, '`lightbox album list`');
  }
  if (matches.length > 1) {
    const ids = matches.map((album) => albumGlobalId(album.publicId)).join(', ');
    throw new LightboxError('USAGE', `${matches.length} albums are titled "${titleOrId}"; name one by its id: ${ids}`);
  }
  return matches[0] as AlbumRow;
}

/** `lightbox album publish|unpublish <title or id>`: unpublishing revokes every image URL handed out for its photos. */
export async function setAlbumVisibilityCommand(config: Config, titleOrId: string, visibility: AlbumVisibility): Promise<number> {
  const { database } = await openStore(config, { create: false });
  try {
    const album = albumNamedOnCommandLine(database.db, titleOrId);
    if (album.visibility === visibility) {
      process.stdout.write(`Album "${album.title}" is already ${visibility.toLowerCase()}.\n`);
      return 0;
    }
    updateAlbum(database.db, album.publicId, { visibility });
    process.stdout.write(
      visibility === 'PUBLIC'
        ? `Published album "${album.title}": anyone can see it and its photos now.\n`
        : `Unpublished album "${album.title}": only the admin sees it; image URLs handed out for photos in no other public album stop working now.\n`,
    );
    return 0;
  } finally {
    database.close();
  }
}
