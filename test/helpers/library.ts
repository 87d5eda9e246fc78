import path from 'node:path';
import { addPhotosToAlbum, createAlbum } from '../../src/catalog/albums.ts';
import { type FolderImportSummary, importFolder } from '../../src/processing/folder-import.ts';
import { ingestFile } from '../../src/processing/ingest.ts';
import { backupLibrary } from '../../src/storage/backup.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { storageOf } from './server.ts';

/**
 * What `lightbox import <dir>` does, in this process, through a second connection to the
 * data dir (as the command's own process would): for tests where the command line itself is
 * not under test, without paying for a process start each time.
 */
export async function importIntoDataDir(
  dataDir: string,
  folder: string,
  options: { album?: string; public?: boolean } = {},
): Promise<FolderImportSummary> {
  const store = await openStore({ dataDir, storage: storageOf(dataDir) }, { create: true });
  const { layout, database, files } = store;
  try {
    return await importFolder({ db: database.db, layout, files }, folder, {
      album: options.album,
      visibility: options.public ? 'PUBLIC' : 'PRIVATE',
    });
  } finally {
    store.close();
  }
}

export interface LibraryPlan {
  albums: Record<string, 'PUBLIC' | 'PRIVATE'>;
  /** Photo name → the fixture file it is made from and the albums (by name) it is in. */
  photos: Record<string, { file: string; albums: string[] }>;
}

/** Builds exactly the library described, through the catalog; returns the public ids by name. */
export async function buildLibrary(
  dataDir: string,
  plan: LibraryPlan,
): Promise<{ albums: Record<string, string>; photos: Record<string, string> }> {
  const store = await openStore({ dataDir, storage: storageOf(dataDir) }, { create: true });
  const { layout, database, files } = store;
  try {
    const albums: Record<string, string> = {};
    for (const [name, visibility] of Object.entries(plan.albums)) {
      albums[name] = createAlbum(database.db, { title: name, visibility }).publicId;
    }
    const photos: Record<string, string> = {};
    for (const [name, { file, albums: memberOf }] of Object.entries(plan.photos)) {
      const outcome = await ingestFile({ db: database.db, layout, files }, file, { title: name, originalFilename: path.basename(file) });
      if (outcome.kind !== 'imported') throw new Error(`${name}: ${JSON.stringify(outcome)}`);
      photos[name] = outcome.publicId;
      for (const album of memberOf) addPhotosToAlbum(database.db, albums[album] as string, [outcome.publicId]);
    }
    return { albums, photos };
  } finally {
    store.close();
  }
}

/** What `lightbox backup <target>` does, in this process, through a second connection to the data dir. */
export async function backUp(dataDir: string, target: string) {
  const store = await openStore({ dataDir }, { create: true });
  try {
    return await backupLibrary(store, target);
  } finally {
    store.close();
  }
}
