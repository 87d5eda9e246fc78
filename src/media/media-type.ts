/** What the first bytes of a file say it is; names and Content-Type headers are never trusted. */

export interface MediaType {
  mimeType: string;
  extension: string;
}

export type SniffResult = { supported: true; type: MediaType } | { supported: false; reason: string };

/** Enough bytes to recognise every format below. */
export const SNIFF_LENGTH = 32;

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, index) => bytes[index] === byte);
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

export function sniffMediaType(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) return { supported: false, reason: 'the file is empty' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { supported: true, type: { mimeType: 'image/jpeg', extension: 'jpg' } };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { supported: true, type: { mimeType: 'image/png', extension: 'png' } };
  }
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') {
    return { supported: true, type: { mimeType: 'image/gif', extension: 'gif' } };
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return { supported: true, type: { mimeType: 'image/webp', extension: 'webp' } };
  }
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { supported: true, type: { mimeType: 'image/tiff', extension: 'tif' } };
  }
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (AVIF_BRANDS.has(brand)) return { supported: true, type: { mimeType: 'image/avif', extension: 'avif' } };
    if (HEIF_BRANDS.has(brand)) return { supported: false, reason: 'HEIC/HEIF images are not supported yet' };
  }
  return { supported: false, reason: 'not an image format Lightbox accepts (JPEG, PNG, WebP, AVIF, GIF, TIFF)' };
}
