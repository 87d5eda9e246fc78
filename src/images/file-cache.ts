/**
 * Files up to a few megabytes held in memory, keyed by path and validated against the stat taken for every
 * request: a rewritten or touched file never serves stale bytes, and the per-request cost of
 * opening a stream (the bottleneck for small files) disappears.
 */
export class ImageFileCache {
  private readonly entries = new Map<string, { mtimeMs: number; size: number; data: Buffer }>();
  private totalBytes = 0;

  constructor(
    private readonly maxTotalBytes: number,
    readonly maxEntryBytes = Math.min(4 * 1024 * 1024, maxTotalBytes),
  ) {}

  get(path: string, mtimeMs: number, size: number): Buffer | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined) return undefined;
    if (entry.mtimeMs !== mtimeMs || entry.size !== size) {
      this.delete(path);
      return undefined;
    }
    // Re-inserting keeps the Map in least-recently-used order.
    this.entries.delete(path);
    this.entries.set(path, entry);
    return entry.data;
  }

  set(path: string, mtimeMs: number, data: Buffer): void {
    if (data.length > this.maxEntryBytes) return;
    this.delete(path);
    this.entries.set(path, { mtimeMs, size: data.length, data });
    this.totalBytes += data.length;
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes <= this.maxTotalBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.data.length;
    }
  }

  private delete(path: string): void {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    this.totalBytes -= entry.data.length;
  }
}
