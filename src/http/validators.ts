import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * Strong ETag from the stat alone (no file read): quoted MD5 of `${mtimeMs}-${size}`, the seed's
 * validator, so tags stay the same across versions of Lightbox and restarts.
 */
export function etagFor(mtimeMs: number, size: number): string {
  return `"${createHash('md5').update(`${mtimeMs}-${size}`).digest('hex')}"`;
}

let formattedSecond = Number.NaN;
let formatted = '';

/** IMF-fixdate of a time in ms. The last second formatted is kept: an Expires a year from now repeats it all second long. */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== formattedSecond) {
    formatted = new Date(second * 1000).toUTCString();
    formattedSecond = second;
  }
  return formatted;
}

export interface FileValidators {
  mtimeMs: number;
  size: number;
  etag: string;
  lastModified: string;
  /** 304 header blocks already made for this file, one per cache policy and Vary (a handful), for policies every holder shares (see the image route). */
  notModified?: Map<string, KeptHeaders>;
}

export interface KeptHeaders {
  headers: OutgoingHttpHeaders;
  /** The second whose Expires the block carries; NaN when it carries none. */
  expiresSecond: number;
}

/** Files whose ETag, Last-Modified and 304 headers are kept, until a stat shows the file changed; past it the memory starts over. */
const VALIDATED_FILES_KEPT = 4096;

/**
 * ETag and Last-Modified per file, made again only when a stat shows another mtime or size
 * (the file was rewritten): the per-request stat stays, the hashing and formatting do not.
 */
export class ValidatorCache {
  private readonly files = new Map<string, FileValidators>();

  for(path: string, mtimeMs: number, size: number): FileValidators {
    const known = this.files.get(path);
    if (known !== undefined && known.mtimeMs === mtimeMs && known.size === size) return known;
    if (this.files.size >= VALIDATED_FILES_KEPT) this.files.clear();
    const made = { mtimeMs, size, etag: etagFor(mtimeMs, size), lastModified: httpDate(mtimeMs) };
    this.files.set(path, made);
    return made;
  }
}
