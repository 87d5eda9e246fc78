import { close, fstat, open, readv } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { FileStat } from './validators.ts';

/** The largest file whose bytes are kept. */
const MAX_KEPT_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Kept bytes are in blocks of a page: a 256 px thumbnail (8–15 KB) takes 2–4 and wastes under
 * half a page; larger blocks would waste more on every small file, smaller ones add iovecs.
 */
const BLOCK_BYTES = 4096;

/** What the index may take of the bodies' share: its entries live on the heap beside the blocks. */
const INDEX_SHARE = 1 / 8;

/**
 * A kept file's heap beside its bytes: the entry, its block list and views, the Map's slot (the
 * path is counted by its length).
 */
const ENTRY_BYTES_FIXED = 256;
const VIEW_BYTES = 96;

/** A file's bytes as kept: views over the store's blocks, in file order, valid while it is pinned or kept. */
export interface KeptFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly blocks: readonly number[];
  /** Runs of consecutive blocks, one Buffer each: what a whole-file answer writes. */
  readonly views: readonly Buffer[];
  readonly heapBytes: number;
  /** Answers still writing these bytes: the blocks are not given to another file before they end. */
  pins: number;
  /** Out of the index, its blocks to be freed when the last answer writing them ends. */
  dropped: boolean;
}

type ReadDone = (kept: KeptFile | undefined) => void;

/** A file being read into blocks, and the requests waiting for it (one read per path at a time). */
interface PendingRead {
  mtimeMs: number;
  size: number;
  waiting: ReadDone[];
}

/**
 * Files up to a few megabytes held in memory, keyed by path and validated against the stat
 * taken for every request: a rewritten or touched file never serves stale bytes, and the
 * per-request cost of opening a stream (the bottleneck for small files) disappears.
 *
 * The bytes live in one slab allocated once (its pages resident as first written), cut into
 * blocks that files are read into directly and given back when their file leaves: a Buffer
 * per file let RSS outgrow the bound (why: docs/performance.md, "Memory").
 *
 * An answer being written pins its file's blocks until its response or its connection closes,
 * whichever comes first, so evicting a file never overwrites bytes a slow client is still
 * being sent.
 */
export class ImageFileCache {
  /** Bytes the bodies may take: the slab's and the index's together. */
  readonly maxTotalBytes: number;
  /** The largest file kept: MAX_KEPT_FILE_BYTES, or all the blocks there are when fewer. */
  readonly maxEntryBytes: number;
  private readonly slab: Buffer | undefined;
  private readonly maxIndexBytes: number;
  /** Free block numbers, a stack: the last one freed is given out first. */
  private readonly free: Int32Array;
  private freeCount: number;
  /** Blocks no eviction can free now: pinned by answers, or taken by reads in flight. */
  private heldBlocks = 0;
  /** Heap of the entries whose blocks are not given back yet (kept, dropped while pinned, or being read). */
  private indexBytes = 0;
  /** Least recently asked first: a hit moves its path to the end. */
  private readonly index = new Map<string, KeptFile>();
  private readonly pending = new Map<string, PendingRead>();

  /** `bodyBytes` is the bodies' share of LIGHTBOX_IMAGE_CACHE_MB (image-memory.ts). */
  constructor(bodyBytes: number, maxEntryBytes = MAX_KEPT_FILE_BYTES) {
    this.maxTotalBytes = bodyBytes;
    this.maxIndexBytes = Math.floor(this.maxTotalBytes * INDEX_SHARE);
    const blocks = Math.floor((this.maxTotalBytes - this.maxIndexBytes) / BLOCK_BYTES);
    this.maxEntryBytes = Math.min(maxEntryBytes, blocks * BLOCK_BYTES);
    this.slab = blocks > 0 ? Buffer.allocUnsafeSlow(blocks * BLOCK_BYTES) : undefined;
    this.free = new Int32Array(blocks);
    // Block 0 on top, so a new store hands out consecutive blocks from the slab's start.
    for (let index = 0; index < blocks; index++) this.free[index] = blocks - 1 - index;
    this.freeCount = blocks;
  }

  /** Bytes kept now: the blocks files hold and their entries' heap. */
  get memoryBytes(): number {
    return (this.free.length - this.freeCount) * BLOCK_BYTES + this.indexBytes;
  }

  /** Whether a file of `size` bytes is one this store would keep. */
  keeps(size: number): boolean {
    return size <= this.maxEntryBytes;
  }

  /** The file kept for `path`, when it is as the request's stat saw it; now the most recently asked. */
  get(path: string, mtimeMs: number, size: number): KeptFile | undefined {
    const kept = this.index.get(path);
    if (kept === undefined) return undefined;
    if (kept.mtimeMs !== mtimeMs || kept.size !== size) {
      this.drop(path, kept);
      return undefined;
    }
    this.index.delete(path);
    this.index.set(path, kept);
    return kept;
  }

  /**
   * Reads `path` into free blocks and keeps it, then calls back with it; with undefined when
   * it could not be kept as `stats` saw it (gone, replaced, changed while read, or too many
   * blocks pinned by answers in flight), for the caller to stream instead. Requests for a file
   * already being read as the same stat wait for that read.
   */
  read(path: string, stats: FileStat, done: ReadDone): void {
    const pending = this.pending.get(path);
    if (pending !== undefined) {
      if (pending.mtimeMs === stats.mtimeMs && pending.size === stats.size) pending.waiting.push(done);
      else done(undefined);
      return;
    }
    const heapBytes = entryHeapBytes(Math.ceil(stats.size / BLOCK_BYTES), path.length);
    const blocks = this.take(Math.ceil(stats.size / BLOCK_BYTES), heapBytes);
    if (blocks === undefined) {
      done(undefined);
      return;
    }
    const reading: PendingRead = { mtimeMs: stats.mtimeMs, size: stats.size, waiting: [done] };
    this.pending.set(path, reading);
    const views = this.viewsOf(blocks, 0, stats.size - 1);
    const settle = (whole: boolean) => {
      this.pending.delete(path);
      this.heldBlocks -= blocks.length;
      let kept: KeptFile | undefined;
      if (whole) kept = this.keep(path, stats, blocks, views, heapBytes);
      else {
        this.give(blocks);
        this.indexBytes -= heapBytes;
      }
      for (const waiting of reading.waiting) waiting(kept);
    };
    open(path, 'r', (openError, fd) => {
      if (openError) return settle(false);
      const finish = (whole: boolean) => close(fd, () => settle(whole));
      fstat(fd, (statError, opened) => {
        // A file replaced between the request's stat and this open is not what the validators describe.
        if (statError || opened.size !== stats.size || opened.mtimeMs !== stats.mtimeMs) return finish(false);
        readAll(fd, views, 0, stats.size, finish);
      });
    });
  }

  /** Writes bytes `start`..`end` (inclusive) of a kept file as `res`'s body and ends it. */
  send(res: ServerResponse, kept: KeptFile, start: number, end: number): void {
    const socket = res.req.socket;
    // Gone already (a read that finished after the client left): nothing to write, and no close is coming.
    if (res.destroyed || socket.destroyed) return;
    this.pin(kept);
    // A response closes once its bytes are with the kernel or its connection is gone; one queued
    // behind a pipelined request whose client leaves never does, but its connection closes.
    let pinned = true;
    const unpin = () => {
      if (!pinned) return;
      pinned = false;
      res.off('close', unpin);
      socket.off('close', unpin);
      this.unpin(kept);
    };
    res.once('close', unpin);
    socket.once('close', unpin);
    const views = start === 0 && end === kept.size - 1 ? kept.views : this.viewsOf(kept.blocks, start, end);
    if (views.length === 1) {
      res.end(views[0]);
      return;
    }
    res.cork();
    for (let index = 0; index < views.length - 1; index++) res.write(views[index]);
    res.end(views[views.length - 1]);
  }

  /**
   * `count` blocks, freeing the least recently asked files' until there are enough, with the
   * entry's heap reserved; undefined, dropping nothing, if answers in flight hold too many.
   */
  private take(count: number, heapBytes: number): number[] | undefined {
    if (this.slab === undefined || count > this.free.length - this.heldBlocks || heapBytes > this.maxIndexBytes) return undefined;
    for (const [path, kept] of this.index) {
      if (this.freeCount >= count && this.indexBytes + heapBytes <= this.maxIndexBytes) break;
      this.drop(path, kept);
    }
    // Dropped files still pinned keep their blocks and heap until their answers end.
    if (this.freeCount < count || this.indexBytes + heapBytes > this.maxIndexBytes) return undefined;
    const blocks: number[] = new Array(count);
    for (let index = 0; index < count; index++) blocks[index] = this.free[--this.freeCount] as number;
    this.heldBlocks += count;
    this.indexBytes += heapBytes;
    return blocks;
  }

  private keep(path: string, stats: FileStat, blocks: number[], views: Buffer[], heapBytes: number): KeptFile {
    const kept: KeptFile = { mtimeMs: stats.mtimeMs, size: stats.size, blocks, views, heapBytes, pins: 0, dropped: false };
    const replaced = this.index.get(path);
    if (replaced !== undefined) this.drop(path, replaced);
    this.index.set(path, kept);
    return kept;
  }

  private drop(path: string, kept: KeptFile): void {
    this.index.delete(path);
    kept.dropped = true;
    if (kept.pins === 0) this.release(kept);
  }

  private pin(kept: KeptFile): void {
    if (kept.pins++ === 0) this.heldBlocks += kept.blocks.length;
  }

  private unpin(kept: KeptFile): void {
    if (--kept.pins > 0) return;
    this.heldBlocks -= kept.blocks.length;
    if (kept.dropped) this.release(kept);
  }

  private release(kept: KeptFile): void {
    this.give(kept.blocks);
    this.indexBytes -= kept.heapBytes;
  }

  /** Back on the stack in reverse, so the next file taken gets them in their old order: consecutive runs stay one view. */
  private give(blocks: readonly number[]): void {
    for (let index = blocks.length - 1; index >= 0; index--) this.free[this.freeCount++] = blocks[index] as number;
  }

  /** Views of bytes `start`..`end` of a file held in `blocks`, consecutive blocks joined into one. */
  private viewsOf(blocks: readonly number[], start: number, end: number): Buffer[] {
    const slab = this.slab as Buffer;
    const views: Buffer[] = [];
    let runStart = -1;
    let runEnd = -1;
    for (let index = Math.floor(start / BLOCK_BYTES); index <= Math.floor(end / BLOCK_BYTES); index++) {
      const block = blocks[index] as number;
      const from = block * BLOCK_BYTES + (index === Math.floor(start / BLOCK_BYTES) ? start % BLOCK_BYTES : 0);
      const to = block * BLOCK_BYTES + (index === Math.floor(end / BLOCK_BYTES) ? (end % BLOCK_BYTES) + 1 : BLOCK_BYTES);
      if (from === runEnd) runEnd = to;
      else {
        if (runStart >= 0) views.push(slab.subarray(runStart, runEnd));
        runStart = from;
        runEnd = to;
      }
    }
    if (runStart >= 0) views.push(slab.subarray(runStart, runEnd));
    return views;
  }
}

function entryHeapBytes(blocks: number, pathLength: number): number {
  // At most one view per block: what a file scattered over the slab costs.
  return ENTRY_BYTES_FIXED + pathLength + blocks * (8 + VIEW_BYTES);
}

/** preadv until `size` bytes are in `views` (a read may return fewer, and at most IOV_MAX views go in one call). */
function readAll(fd: number, views: Buffer[], position: number, size: number, done: (whole: boolean) => void): void {
  readv(fd, views, position, (error, bytesRead) => {
    if (error) return done(false);
    const total = position + bytesRead;
    if (total === size) return done(true);
    // Past the size the stat saw, or end of file before it: the file changed.
    if (bytesRead === 0 || total > size) return done(false);
    readAll(fd, remainingViews(views, bytesRead), total, size, done);
  });
}

function remainingViews(views: Buffer[], bytesRead: number): Buffer[] {
  let skipped = bytesRead;
  let index = 0;
  while (index < views.length && skipped >= (views[index] as Buffer).length) skipped -= (views[index++] as Buffer).length;
  const rest = views.slice(index);
  if (skipped > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(skipped);
  return rest;
}
