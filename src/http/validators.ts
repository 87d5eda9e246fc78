import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Strong ETag from the stat alone (no file read): quoted MD5 of `${mtimeMs}-${size}`, the seed's
 * validator, so tags stay the same across versions of Lightbox and restarts.
 */
export function etagFor(mtimeMs: number, size: number): string {
  return `"${createHash('md5').update(`${mtimeMs}-${size}`).digest('hex')}"`;
}

const formatted = new LRUCache<number, string>({ max: 512 });

/** IMF-fixdate of a time in ms; a few hundred recent seconds are kept, since most calls repeat them. */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  let text = formatted.get(second);
  if (text === undefined) {
    text = new Date(second * 1000).toUTCString();
    formatted.set(second, text);
  }
  return text;
}

export interface FileValidators {
  mtimeMs: number;
  size: number;
  etag: string;
  lastModified: string;
}

/** Files whose validators are kept; past it the memory starts over. */
const MAX_FILES = 4096;

/**
 * ETag and Last-Modified per file, made again only when a stat shows another mtime or size
 * (the file was rewritten): the per-request stat stays, the hashing and formatting do not.
 */
export class ValidatorCache {
  private readonly files = new Map<string, FileValidators>();

  for(path: string, mtimeMs: number, size: number): FileValidators {
    const known = this.files.get(path);
    if (known !== undefined && known.mtimeMs === mtimeMs && known.size === size) return known;
    if (this.files.size >= MAX_FILES) this.files.clear();
    const made = { mtimeMs, size, etag: etagFor(mtimeMs, size), lastModified: httpDate(mtimeMs) };
    this.files.set(path, made);
    return made;
  }
}
