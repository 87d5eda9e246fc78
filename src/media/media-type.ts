/** What the first bytes of a file say it is; names and Content-Type headers are never trusted. */

export interface MediaType {
  mimeType: string;
  extension: string;
}

export type SniffResult = { supported: true; type: MediaType } | { supported: false; reason: string };

/** Enough bytes to recognise every format below, a HEIF `ftyp` box's list of brands included. */
export const SNIFF_LENGTH = 128;

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, index) => bytes[index] === byte);
}

/** HEVC-coded still images (iPhones since 2017, many Android phones). */
const HEIC_BRANDS = ['heic', 'heix', 'heim', 'heis'];
/** Image sequences and video in the same container: nothing here is a still image to decode. */
const SEQUENCE_BRANDS = ['msf1', 'hevc', 'hevx', 'avis'];

/** The major and compatible brands of an ISO BMFF file's leading `ftyp` box, or undefined when it has none. */
export function ftypBrands(bytes: Uint8Array): string[] | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const end = Math.min(Math.max(size, 16), bytes.length);
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands;
}

/**
 * What an ISO BMFF file holds, by its brands: AVIF (sharp decodes it), a HEIF still image
 * (`image/heic` when HEVC-coded, `image/heif` for the generic `mif1`), or a sequence or video.
 */
function sniffIsoMedia(brands: readonly string[]): SniffResult | undefined {
  const has = (list: readonly string[]) => brands.some((brand) => list.includes(brand));
  if (brands.includes('avif')) return { supported: true, type: { mimeType: 'image/avif', extension: 'avif' } };
  if (has(HEIC_BRANDS)) return { supported: true, type: { mimeType: 'image/heic', extension: 'heic' } };
  if (brands.includes('mif1')) return { supported: true, type: { mimeType: 'image/heif', extension: 'heif' } };
  if (has(SEQUENCE_BRANDS)) {
    return { supported: false, reason: 'a HEIF/AVIF image sequence or video, not a still image (take a still from it first)' };
  }
  return undefined;
}

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
  const brands = ftypBrands(bytes);
  const iso = brands === undefined ? undefined : sniffIsoMedia(brands);
  if (iso !== undefined) return iso;
  return { supported: false, reason: 'not an image format Lightbox accepts (JPEG, PNG, WebP, AVIF, GIF, TIFF, HEIC/HEIF)' };
}

/** HEIF stills need libheif (see heif-decoder.ts); every other accepted format decodes in sharp. */
export function isHeif(extension: string): boolean {
  return extension === 'heic' || extension === 'heif';
}
