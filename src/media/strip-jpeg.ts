/**
 * A JPEG without its metadata, losslessly: the compressed image data is copied byte for byte,
 * and only the segments that say how to decode and show it are kept. What goes: EXIF (GPS,
 * serial numbers, maker notes, thumbnails), XMP, IPTC/Photoshop, comments, MPF and every
 * other APPn, and whatever follows the primary image (phones append previews, depth maps and
 * gain maps there, each with EXIF of its own). What stays: JFIF, ICC profiles (colour),
 * Adobe (CMYK/YCCK transform) and, when the photo is not upright, a minimal EXIF holding
 * only its Orientation, so it still displays upright.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;

export class NotAJpegError extends Error {}

function startsWithAscii(bytes: Buffer, offset: number, text: string): boolean {
  return bytes.toString('latin1', offset, offset + text.length) === text;
}

/** Whether a segment (marker + payload starting at `payload`) is one a viewer needs. */
function keep(marker: number, bytes: Buffer, payload: number): boolean {
  if (marker === APP0) return startsWithAscii(bytes, payload, 'JFIF\0');
  if (marker === APP2) return startsWithAscii(bytes, payload, 'ICC_PROFILE\0');
  if (marker === APP14) return startsWithAscii(bytes, payload, 'Adobe');
  if ((marker >= APP1 && marker <= APP15) || marker === COM) return false;
  return true;
}

/** An APP1 "Exif" segment whose only tag is Orientation (big-endian TIFF, one IFD entry). */
export function orientationSegment(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM\0*', 0, 'latin1');
  tiff.writeUInt32BE(8, 4); // first IFD right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // one value
  tiff.writeUInt16BE(orientation, 18); // left-justified in the 4-byte value field
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, APP1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/**
 * Walks the markers of `jpeg` and returns it without metadata. Throws NotAJpegError when the
 * structure is broken (the caller then re-encodes instead).
 */
export function stripJpegMetadata(jpeg: Buffer, orientation = 1): Buffer {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== SOI) throw new NotAJpegError('no SOI marker');
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  if (orientation !== 1) parts.push(orientationSegment(orientation));
  let offset = 2;
  let inScan = false;
  let scanStart = 0;
  while (offset < jpeg.length) {
    if (inScan) {
      // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte), a restart marker or fill bytes; anything else ends the scan.
      const next = jpeg.indexOf(0xff, offset);
      if (next === -1 || next + 1 >= jpeg.length) throw new NotAJpegError('a scan runs past the end of the file');
      const byte = jpeg[next + 1] as number;
      if (byte === 0x00 || (byte >= 0xd0 && byte <= 0xd7) || byte === 0xff) {
        offset = next + (byte === 0xff ? 1 : 2);
        continue;
      }
      parts.push(jpeg.subarray(scanStart, next));
      inScan = false;
      offset = next;
      continue;
    }
    if (jpeg[offset] !== 0xff) throw new NotAJpegError(`expected a marker at byte ${offset}`);
    const marker = jpeg[offset + 1];
    if (marker === undefined) throw new NotAJpegError('truncated marker');
    if (marker === 0xff) {
      offset++; // fill byte before a marker
      continue;
    }
    if (marker === EOI) {
      // The primary image ends here: whatever a camera appended after it is not copied.
      parts.push(jpeg.subarray(offset, offset + 2));
      return Buffer.concat(parts);
    }
    if (offset + 4 > jpeg.length) throw new NotAJpegError('truncated segment');
    const length = jpeg.readUInt16BE(offset + 2);
    const end = offset + 2 + length;
    if (length < 2 || end > jpeg.length) throw new NotAJpegError(`segment 0x${marker.toString(16)} runs past the end of the file`);
    if (keep(marker, jpeg, offset + 4)) parts.push(jpeg.subarray(offset, end));
    offset = end;
    if (marker === SOS) {
      inScan = true;
      scanStart = offset;
    }
  }
  throw new NotAJpegError('no EOI marker');
}
