import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

const etags = new LRUCache<string, string>({ max: 4096 });

/**
 * Strong ETag from the stat alone (no file read): quoted MD5 of `${mtimeMs}-${size}`. The same
 * stat gives the same tag, so recent ones are kept rather than hashed again on every request.
 */
export function etagFor(mtimeMs: number, size: number): string {
  const seed = `${mtimeMs}-${size}`;
  let etag = etags.get(seed);
  if (etag === undefined) {
    etag = `"${createHash('md5').update(seed).digest('hex')}"`;
    etags.set(seed, etag);
  }
  return etag;
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
