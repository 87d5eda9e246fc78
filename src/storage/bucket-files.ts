import { type Stats, statSync } from 'node:fs';
import { mkdir, open, rm, utimes } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { tempPath } from './atomic.ts';
import type { Bucket, ObjectFacts } from './bucket.ts';
import { type Digest, digestOf, type FileStore, type StoredFile } from './file-store.ts';
import type { StorageLayout } from './layout.ts';
import type { LocalCache } from './local-cache.ts';

const STAT_OPTIONS = { throwIfNoEntry: false } as const;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Objects past this are streamed through by the image route (whole or by range), never pulled into the cache for one request. */
const STREAM_THROUGH_BYTES = 64 * 1024 * 1024;

/** Where the image route finds a file it did not find on disk. */
export type Located =
  /** Now in the cache, at its path: answered like any file. */
  | { kind: 'cached'; stats: Stats }
  /** Too big to pull in for one request: its validators, and its bytes from the bucket as they are asked for. */
  | { kind: 'remote'; facts: ObjectFacts }
  | { kind: 'missing' };

/** What the orphan sweep found and removed. */
export interface BucketSweep {
  originals: number;
  derived: number;
}

const ORIGINAL_KEY = /^originals\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})\.[a-z0-9]{2,5}$/;
const DERIVED_KEY = /^derived\/[A-Za-z0-9_-]{2}\/([A-Za-z0-9_-]+)\/[a-z]+\.v(\d+)\.[a-z0-9]+$/;

/**
 * A library's files in a bucket (LIGHTBOX_STORAGE=s3://…), read through the local cache.
 *
 * - Originals are keyed by their SHA-256 and uploaded (multipart when big) before their row is
 *   inserted (ingest finds a duplicate by its hash first): a crash between leaves an object no row
 *   names, which the sweep removes once it is an hour old.
 * - Renditions are uploaded, then placed in the cache with the object's Last-Modified as mtime,
 *   so a replaced node serves them without rendering and with the same ETags.
 * - Reads fill the cache: a file missing from it is fetched whole (single flight per file),
 *   except a big one the image route asks for, which it streams from the bucket.
 */
export class BucketFiles implements FileStore {
  readonly location: string;
  /** Image requests answered from the cache, and those that had to ask the bucket (for /healthz and the bench). */
  hits = 0;
  misses = 0;
  private readonly fetching = new Map<string, Promise<boolean>>();

  constructor(
    readonly layout: StorageLayout,
    readonly bucket: Bucket,
    readonly cache: LocalCache,
  ) {
    this.location = bucket.config.location;
  }

  async storeOriginal(temp: string, file: string, contentType: string): Promise<void> {
    // Uploaded even when an object is there already (an orphan of an import whose row never came):
    // the upload makes it young again, so the sweep, which spares young objects, cannot take it away.
    const facts = await this.bucket.upload(this.layout.keyOf(file), temp, contentType);
    // The worker reads it next: kept here, it is not downloaded again (egress) unless evicted first.
    if (facts.size <= this.cache.maxBytes / 8) await this.placeInCache(temp, file, facts);
  }

  async write(file: string, fill: (temp: string) => Promise<unknown>, contentType: string): Promise<void> {
    await mkdir(this.layout.tempDir, { recursive: true });
    const temp = tempPath(this.layout.tempDir);
    try {
      await fill(temp);
      const facts = await this.bucket.upload(this.layout.keyOf(file), temp, contentType);
      await this.placeInCache(temp, file, facts);
    } finally {
      await rm(temp, { force: true });
    }
  }

  fetch(file: string): Promise<boolean> {
    if (statSync(file, STAT_OPTIONS)?.isFile()) {
      this.cache.touch(file);
      return Promise.resolve(true);
    }
    const running = this.fetching.get(file);
    if (running !== undefined) return running;
    const fetched = this.download(file).finally(() => this.fetching.delete(file));
    this.fetching.set(file, fetched);
    return fetched;
  }

  async remove(file: string): Promise<void> {
    await this.bucket.delete(this.layout.keyOf(file));
    this.cache.forget(file);
  }

  async removeDerived(publicId: string): Promise<void> {
    const dir = this.layout.derivedDirFor(publicId);
    for await (const object of this.bucket.list(`${this.layout.keyOf(dir)}/`)) {
      await this.bucket.delete(object.key);
      this.cache.forget(this.layout.fileOf(object.key));
    }
    await rm(dir, { recursive: true, force: true });
  }

  async *list(under: 'originals/' | 'derived/'): AsyncGenerator<StoredFile> {
    for await (const object of this.bucket.list(under)) yield { key: object.key, size: object.size };
  }

  async sizeOf(file: string): Promise<number | undefined> {
    return (await this.bucket.head(this.layout.keyOf(file)))?.size;
  }

  async digest(file: string): Promise<Digest | undefined> {
    const key = this.layout.keyOf(file);
    const facts = await this.bucket.head(key);
    if (facts === undefined) return undefined;
    const body = facts.size === 0 ? undefined : await this.bucket.range(key, 0, facts.size - 1);
    if (body === undefined) return facts.size === 0 ? { size: 0, sha256: EMPTY_SHA256 } : undefined;
    return digestOf(body);
  }

  async copyOut(file: string, destination: string): Promise<boolean> {
    return (await this.bucket.download(this.layout.keyOf(file), destination)) !== undefined;
  }

  async copyIn(source: string, file: string, contentType?: string): Promise<void> {
    await this.bucket.upload(this.layout.keyOf(file), source, contentType);
  }

  /** A use of a file the image route found in the cache, at `usedMs` (the request's clock). */
  touch(file: string, usedMs: number): void {
    this.hits++;
    this.cache.touch(file, usedMs);
  }

  /** Validators of a file this host has seen, cached or not: a revalidation is answered without the bucket. */
  known(file: string): ObjectFacts | undefined {
    return this.cache.known(file);
  }

  /**
   * A file the image route did not find on disk: fetched into the cache (a rendition, or an
   * original of modest size), or left in the bucket to stream from (a big original).
   */
  async locate(file: string): Promise<Located> {
    this.misses++;
    const key = this.layout.keyOf(file);
    if (key.startsWith('originals/')) {
      const facts = await this.bucket.head(key);
      if (facts === undefined) return { kind: 'missing' };
      if (facts.size > Math.min(STREAM_THROUGH_BYTES, this.cache.maxBytes / 8)) {
        this.cache.remember(file, facts);
        return { kind: 'remote', facts };
      }
    }
    if (!(await this.fetch(file))) return { kind: 'missing' };
    const stats = statSync(file, STAT_OPTIONS);
    // Evicted again between the fetch and this stat (a cache far too small for its traffic): streamed instead.
    if (stats === undefined) {
      const facts = this.cache.known(file);
      return facts === undefined ? { kind: 'missing' } : { kind: 'remote', facts };
    }
    return { kind: 'cached', stats };
  }

  /** Bytes `start`..`end` of a file left in the bucket; undefined when it has gone meanwhile. */
  range(file: string, start: number, end: number): Promise<Readable | undefined> {
    return this.bucket.range(this.layout.keyOf(file), start, end);
  }

  /**
   * Objects no row names, older than `minAgeMs` (an import between its upload and its row is
   * never robbed): originals whose hash no photo has, renditions of deleted photos and of
   * superseded versions. A page of the listing at a time, one index lookup per object.
   */
  async sweep(sqlite: Database.Database, minAgeMs = 60 * 60 * 1000): Promise<BucketSweep> {
    const cutoff = Date.now() - minAgeMs;
    const hashKnown = sqlite.prepare<[string], { found: number }>('SELECT 1 AS found FROM photos WHERE content_hash = ?');
    const versionOf = sqlite.prepare<[string], { version: number }>('SELECT version FROM photos WHERE public_id = ?');
    const removed = { originals: 0, derived: 0 };
    for await (const object of this.bucket.list('originals/')) {
      const hash = ORIGINAL_KEY.exec(object.key)?.[1];
      if (hash === undefined || object.modifiedMs >= cutoff || hashKnown.get(hash) !== undefined) continue;
      // The listing is as old as its page: the same bytes uploaded since (their row on its way) made it young.
      const now = await this.bucket.head(object.key);
      if (now === undefined || now.modifiedMs >= cutoff || hashKnown.get(hash) !== undefined) continue;
      await this.remove(this.layout.fileOf(object.key));
      removed.originals++;
    }
    for await (const object of this.bucket.list('derived/')) {
      const match = DERIVED_KEY.exec(object.key);
      if (match === null || object.modifiedMs >= cutoff) continue;
      const row = versionOf.get(match[1] as string);
      if (row !== undefined && row.version === Number(match[2])) continue;
      await this.remove(this.layout.fileOf(object.key));
      removed.derived++;
    }
    return removed;
  }

  close(): void {
    this.cache.close();
    this.bucket.close();
  }

  private async download(file: string): Promise<boolean> {
    await mkdir(this.layout.tempDir, { recursive: true });
    const temp = tempPath(this.layout.tempDir);
    try {
      const facts = await this.bucket.download(this.layout.keyOf(file), temp);
      if (facts === undefined) return false;
      await this.placeInCache(temp, file, facts);
      return true;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** The object's bytes, flushed, with its Last-Modified as mtime, placed in the cache (see LocalCache.admit). */
  private async placeInCache(temp: string, file: string, facts: ObjectFacts): Promise<void> {
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const modified = new Date(facts.modifiedMs);
    await utimes(temp, modified, modified);
    this.cache.admit(temp, file, facts);
  }
}
