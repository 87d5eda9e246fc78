import { LRUCache } from 'lru-cache';

/** The largest file whose bytes are kept (and no more than the cache's whole bound, LIGHTBOX_IMAGE_CACHE_MB). */
const MAX_KEPT_FILE_BYTES = 4 * 1024 * 1024;

interface CachedFile {
  mtimeMs: number;
  size: number;
  data: Buffer;
}

/**
 * Files up to a few megabytes held in memory, keyed by path and validated against the stat
 * taken for every request: a rewritten or touched file never serves stale bytes, and the
 * per-request cost of opening a stream (the bottleneck for small files) disappears.
 */
export class ImageFileCache {
  private readonly entries: LRUCache<string, CachedFile> | undefined;

  constructor(
    maxTotalBytes: number,
    readonly maxEntryBytes = Math.min(MAX_KEPT_FILE_BYTES, maxTotalBytes),
  ) {
    this.entries =
      maxTotalBytes > 0
        ? new LRUCache({ maxSize: maxTotalBytes, maxEntrySize: maxEntryBytes, sizeCalculation: (entry) => entry.size || 1 })
        : undefined;
  }

  get(path: string, mtimeMs: number, size: number): Buffer | undefined {
    const entry = this.entries?.get(path);
    if (entry === undefined) return undefined;
    if (entry.mtimeMs !== mtimeMs || entry.size !== size) {
      this.entries?.delete(path);
      return undefined;
    }
    return entry.data;
  }

  set(path: string, mtimeMs: number, data: Buffer): void {
    if (data.length > this.maxEntryBytes) return;
    this.entries?.set(path, { mtimeMs, size: data.length, data });
  }
}
