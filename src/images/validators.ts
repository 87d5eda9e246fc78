import { createHash } from 'node:crypto';

/** Strong ETag from the stat alone (no file read): quoted MD5 of `${mtimeMs}-${size}`. */
export function etagFor(mtimeMs: number, size: number): string {
  return `"${createHash('md5').update(`${mtimeMs}-${size}`).digest('hex')}"`;
}

export function lastModifiedFor(mtimeMs: number): string {
  return new Date(mtimeMs).toUTCString();
}
