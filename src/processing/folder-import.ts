import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { oldestAlbumTitled, updateAlbum } from '../catalog/albums.ts';
import type { AlbumVisibility } from '../db/schema.ts';
import { errorSummary, LightboxError } from '../errors.ts';
import { type IngestDeps, type IngestOutcome, ingestFile } from './ingest.ts';

export interface FolderImportOptions {
  /** One album for everything; otherwise each folder goes into an album named by its path (albumTitleFor). */
  album?: string;
  visibility: AlbumVisibility;
  concurrency?: number;
  /** Called once the folder has been walked, with the number of files found. */
  onStart?: (files: number) => void;
  onResult?: (file: string, outcome: IngestOutcome) => void;
}

export interface FolderImportSummary {
  files: number;
  imported: number;
  duplicates: number;
  unsupported: number;
  failed: { file: string; reason: string }[];
  /** Albums that existed as private and were made public by this import (asked to import as public). */
  published: string[];
}

/** The folder itself cannot be imported (missing, not a folder, unreadable). */
function importSourceError(message: string): LightboxError {
  return new LightboxError('IMPORT_SOURCE', message);
}

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (current: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      throw importSourceError(`cannot read ${current}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  await walk(dir);
  return files;
}

/**
 * The album a file goes into: its folder's path below the imported folder (`2023/summer`), so
 * two folders of one name in different places stay two albums; the imported folder's own files
 * go into an album named after it. Separators are always `/`, whatever the system's.
 */
export function albumTitleFor(root: string, file: string): string {
  const folder = path.relative(root, path.dirname(file));
  return folder === '' ? path.basename(root) : folder.split(path.sep).join('/');
}

/** Imports every file under `root`, a bounded number at a time, and reports each outcome as it lands. */
export async function importFolder(deps: IngestDeps, root: string, options: FolderImportOptions): Promise<FolderImportSummary> {
  const rootStats = await stat(root).catch(() => undefined);
  if (rootStats === undefined) throw importSourceError(`${root} does not exist`);
  if (!rootStats.isDirectory()) throw importSourceError(`${root} is not a folder`);
  const absoluteRoot = path.resolve(root);
  const files = await listFiles(absoluteRoot);
  options.onStart?.(files.length);
  const summary: FolderImportSummary = { files: files.length, imported: 0, duplicates: 0, unsupported: 0, failed: [], published: [] };
  const titleOf = (file: string) => options.album ?? albumTitleFor(absoluteRoot, file);
  const titles = new Set(files.map(titleOf));
  // Asking for public means the albums end public, whether this import makes them or they were there.
  if (options.visibility === 'PUBLIC') {
    for (const title of titles) {
      const album = oldestAlbumTitled(deps.db, title);
      if (album === undefined || album.visibility === 'PUBLIC') continue;
      updateAlbum(deps.db, album.publicId, { visibility: 'PUBLIC' });
      summary.published.push(title);
    }
  }

  // Files are read and decoded concurrently but written in name order, so albums list them in that order.
  const turns = files.map(() => {
    let done = () => {};
    const promise = new Promise<void>((resolve) => {
      done = resolve;
    });
    return { promise, done };
  });
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const file = files[index] as string;
      let outcome: IngestOutcome;
      try {
        outcome = await ingestFile(deps, file, {
          album: { title: titleOf(file), visibility: options.visibility },
          commitTurn: () => (index === 0 ? Promise.resolve() : (turns[index - 1]?.promise ?? Promise.resolve())),
        });
      } catch (error) {
        outcome = { kind: 'failed', code: 'INVALID_IMAGE', reason: errorSummary(error) };
      } finally {
        turns[index]?.done();
      }
      if (outcome.kind === 'imported') summary.imported++;
      else if (outcome.kind === 'duplicate') summary.duplicates++;
      else if (outcome.kind === 'unsupported') summary.unsupported++;
      else summary.failed.push({ file, reason: outcome.reason });
      options.onResult?.(file, outcome);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 2, files.length));
  await Promise.all(Array.from({ length: workers }, work));
  return summary;
}
