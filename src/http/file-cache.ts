import { LRUCache } from 'lru-cache';
import { ROW_MEMORY_BYTES } from '../catalog/photo-files.ts';
import { VALIDATOR_MEMORY_BYTES } from './validators.ts';

/** The largest file whose bytes are kept (and no more than the cache's whole bound, LIGHTBOX_IMAGE_CACHE_MB). */
const MAX_KEPT_FILE_BYTES = 4 * 1024 * 1024;

/** A kept file's heap beside its bytes: the entry, the Buffer object, lru-cache's slots (the path is counted by its length). */
const ENTRY_BYTES_FIXED = 256;
/**
 * LIGHTBOX_IMAGE_CACHE_MB is the whole of what the image route keeps: the photo rows and file
 * validators take their bounds out of it, the bodies have the rest (never less than half).
 */
const ROUTE_MEMORIES_BYTES = ROW_MEMORY_BYTES + VALIDATOR_MEMORY_BYTES;

/** What the bodies may take of the image route's configured memory. */
function bodyBytesOf(configuredBytes: number): number {
  return Math.max(configuredBytes - ROUTE_MEMORIES_BYTES, Math.floor(configuredBytes / 2));
}

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

  /** Bytes the bodies may take, with their entries' own (ENTRY_BYTES_FIXED and the path). */
  readonly maxTotalBytes: number;

  /** `configuredBytes` is LIGHTBOX_IMAGE_CACHE_MB's, which the route's other memories share (bodyBytesOf). */
  constructor(
    configuredBytes: number,
    readonly maxEntryBytes = Math.min(MAX_KEPT_FILE_BYTES, bodyBytesOf(configuredBytes)),
  ) {
    this.maxTotalBytes = bodyBytesOf(configuredBytes);
    this.entries =
      this.maxTotalBytes > 0
        ? new LRUCache({ maxSize: this.maxTotalBytes, maxEntrySize: this.maxTotalBytes, sizeCalculation: weighEntry })
        : undefined;
  }

  /** Bytes kept now, by weighEntry's count. */
  get memoryBytes(): number {
    return this.entries?.calculatedSize ?? 0;
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
    // Kept only when it alone is no more than maxEntryBytes; weighEntry adds what keeping it costs beside.
    if (data.length > this.maxEntryBytes) return;
    this.entries?.set(path, { mtimeMs, size: data.length, data });
  }
}

function weighEntry(entry: CachedFile, path: string): number {
  return entry.size + path.length + ENTRY_BYTES_FIXED;
}
