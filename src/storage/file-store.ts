import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, opendir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { commitTempFile, tempPath, writeAtomically } from './atomic.ts';
import type { StorageLayout } from './layout.ts';

/** A stored file as a whole-library walk sees it (verify, backup, `storage migrate`). */
export interface StoredFile {
  /** As StorageLayout.keyOf gives it: originals/… or derived/…. */
  key: string;
  size: number;
}

/** What reading a stored file whole found: its size and SHA-256. */
export interface Digest {
  size: number;
  sha256: string;
}

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

  // Whole-library copies (backup, restore, verify, `lightbox storage migrate`): never through the cache.

  /** Every stored file under `originals/` or `derived/`, a directory entry or a listing page at a time. */
  list(under: 'originals/' | 'derived/'): AsyncIterable<StoredFile>;
  /** The stored file's size, or undefined when there is none. */
  sizeOf(file: string): Promise<number | undefined>;
  /** The stored file read whole: its size and SHA-256; undefined when there is none. */
  digest(file: string): Promise<Digest | undefined>;
  /** Copies the stored file's bytes into `destination` (a new file); false when there is none. */
  copyOut(file: string, destination: string): Promise<boolean>;
  /** Stores a copy of `source` (any file on this disk, left as it is) as `file`, whole or not at all. */
  copyIn(source: string, file: string, contentType?: string): Promise<void>;
}

/** SHA-256 and size of a stream, read once. */
export async function digestOf(input: AsyncIterable<Buffer | string>): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    hash.update(bytes);
  }
  return { size, sha256: hash.digest('hex') };
}

async function* filesIn(root: string, dir: string): AsyncGenerator<StoredFile> {
  const handle = await opendir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (handle === undefined) return;
  for await (const entry of handle) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesIn(root, child);
    else if (entry.isFile()) {
      const size = (await stat(child).catch(() => undefined))?.size;
      if (size !== undefined) yield { key: path.relative(root, child).split(path.sep).join('/'), size };
    }
  }
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

  list(under: 'originals/' | 'derived/'): AsyncIterable<StoredFile> {
    return filesIn(this.layout.filesDir, this.layout.fileOf(under.slice(0, -1)));
  }

  async sizeOf(file: string): Promise<number | undefined> {
    const found = await stat(file).catch(() => undefined);
    return found?.isFile() ? found.size : undefined;
  }

  async digest(file: string): Promise<Digest | undefined> {
    if ((await this.sizeOf(file)) === undefined) return undefined;
    return digestOf(createReadStream(file));
  }

  async copyOut(file: string, destination: string): Promise<boolean> {
    try {
      await copyFile(file, destination);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async copyIn(source: string, file: string): Promise<void> {
    await mkdir(this.layout.tempDir, { recursive: true });
    const temp = tempPath(this.layout.tempDir);
    try {
      await copyFile(source, temp);
      await commitTempFile(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
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
