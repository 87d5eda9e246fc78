import type { ImageFormat } from '../media/variants.ts';

/** Our preference when the client takes several: smallest files first. */
const PREFERENCE: readonly [ImageFormat, string][] = [
  ['avif', 'image/avif'],
  ['webp', 'image/webp'],
];

/**
 * The q-value an Accept-style header (Accept, Accept-Encoding) gives one token by name, or
 * undefined when it is not named. Browsers send `* / *` beside the types they decode, so only
 * naming counts as support.
 */
export function namedQuality(accept: string, mediaType: string): number | undefined {
  for (const member of accept.toLowerCase().split(',')) {
    const [range = '', ...params] = member.split(';');
    if (range.trim() !== mediaType) continue;
    for (const param of params) {
      const [key = '', value = ''] = param.split('=');
      if (key.trim() === 'q') {
        const q = Number(value.trim());
        return Number.isFinite(q) ? q : 0;
      }
    }
    return 1;
  }
  return undefined;
}

/** The format for an extensionless image URL: AVIF, then WebP when accepted, else JPEG, which every client shows. */
export function negotiateFormat(accept: string | undefined): ImageFormat {
  if (accept === undefined || accept === '') return 'jpg';
  for (const [format, mediaType] of PREFERENCE) {
    const q = namedQuality(accept, mediaType);
    if (q !== undefined && q > 0) return format;
  }
  return 'jpg';
}
