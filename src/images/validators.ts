import { createHash } from 'node:crypto';

/** Strong ETag from the stat alone (no file read): quoted MD5 of `${mtimeMs}-${size}`. */
export function etagFor(mtimeMs: number, size: number): string {
  return `"${createHash('md5').update(`${mtimeMs}-${size}`).digest('hex')}"`;
}

const formatted = new Map<number, string>();

/** IMF-fixdate of a time in ms; a few hundred recent seconds are kept, since most calls repeat them. */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  let text = formatted.get(second);
  if (text === undefined) {
    if (formatted.size >= 512) formatted.clear();
    text = new Date(second * 1000).toUTCString();
    formatted.set(second, text);
  }
  return text;
}
