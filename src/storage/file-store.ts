import { rm, stat } from 'node:fs/promises';
import { commitTempFile, writeAtomically } from './atomic.ts';
import type { StorageLayout } from './layout.ts';

/**
 * Where a library's originals and renditions are kept, as everything that writes, reads or
 * removes them sees it: by their paths in the layout (StorageLayout), whatever holds the bytes.
 * LocalFiles is the data dir, as it always was; BucketFiles (bucket-files.ts) a bucket of an
 * S3-compatible store, with those paths the local cache's. The image route keeps reading the
 * path itself (one stat), so the local disk's hot path is what it was.
 */
export interface FileStore {
  readonly layout: StorageLayout;
  /** What LIGHTBOX_STORAGE names: `local`, or `s3://bucket[/prefix]`. */
  readonly location: string;
  /**
   * An original staged in `temp` (hashed, checked), stored at `file` unless it is there already
   * (its name is its content). On return it is stored for good; the caller removes `temp` if it
   * is still there.
   */
  storeOriginal(temp: string, file: string, contentType: string): Promise<void>;
  /** A derived file: `fill` writes a temp file, which is then put at `file` whole, or not at all. */
  write(file: string, fill: (temp: string) => Promise<unknown>, contentType: string): Promise<void>;
  /** Makes `file` readable at its path (fetched into the local cache from a bucket); false when it is nowhere. */
  fetch(file: string): Promise<boolean>;
  /** Removes one file (an original whose photo is gone), wherever it is kept. */
  remove(file: string): Promise<void>;
  /** Removes every derived file of a photo (its renditions and public copy, every version). */
  removeDerived(publicId: string): Promise<void>;
}

/** The data dir's own folders: temp file, fsync, rename, as before there was any other store. */
export class LocalFiles implements FileStore {
  readonly location = 'local';

  constructor(readonly layout: StorageLayout) {
    if (layout.inCache) throw new Error('a bucket library’s files are written through BucketFiles, never straight into its cache');
  }

  storeOriginal(temp: string, file: string): Promise<void> {
    return commitTempFile(temp, file);
  }

  write(file: string, fill: (temp: string) => Promise<unknown>): Promise<void> {
    return writeAtomically(this.layout.tempDir, file, fill);
  }

  async fetch(file: string): Promise<boolean> {
    return (await stat(file).catch(() => undefined))?.isFile() === true;
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  async removeDerived(publicId: string): Promise<void> {
    await rm(this.layout.derivedDirFor(publicId), { recursive: true, force: true });
  }
}

/** Writes and reads of files anywhere on this disk, through temp files in `tempDir`: for renders outside a library (the benchmarks). */
export function filesThrough(tempDir: string): Pick<FileStore, 'write' | 'fetch'> {
  return {
    write: (file, fill) => writeAtomically(tempDir, file, fill),
    fetch: async (file) => (await stat(file).catch(() => undefined))?.isFile() === true,
  };
}

/** The store a caller was given, or the data dir's own when it names none (local layouts only: LocalFiles refuses a cache's). */
export function filesOf(deps: { layout: StorageLayout; files?: FileStore }): FileStore {
  return deps.files ?? new LocalFiles(deps.layout);
}
