/**
 * What a HEIF file says about its primary image beside the pixels libheif decodes, found
 * through the file's own boxes (ISO/IEC 14496-12 and 23008-12): `pitm` names the primary item,
 * `iinf` the items and their types, `iref` which image an item describes, `iloc` where an
 * item's bytes are, and `iprp` the properties (`ipco`) each item has (`ipma`).
 */

interface Box {
  type: string;
  /** Where the box's content starts (after its header) and ends. */
  start: number;
  end: number;
}

class Reader {
  constructor(readonly bytes: Buffer) {}

  uint(at: number, size: number): number {
    if (size === 0) return 0;
    if (at + size > this.bytes.length) throw new RangeError('box runs past the end of the file');
    if (size === 8) return Number(this.bytes.readBigUInt64BE(at));
    return this.bytes.readUIntBE(at, size);
  }

  /** The boxes laid end to end between `start` and `end`. */
  boxes(start: number, end: number): Box[] {
    const found: Box[] = [];
    let at = start;
    while (at + 8 <= end) {
      let size = this.uint(at, 4);
      const type = this.bytes.toString('latin1', at + 4, at + 8);
      let header = 8;
      if (size === 1) {
        size = this.uint(at + 8, 8);
        header = 16;
      } else if (size === 0) size = end - at;
      if (size < header || at + size > end) break;
      found.push({ type, start: at + header, end: at + size });
      at += size;
    }
    return found;
  }

  child(parent: Box, type: string, skip = 0): Box | undefined {
    return this.boxes(parent.start + skip, parent.end).find((box) => box.type === type);
  }
}

/** FullBox: a version byte and three flag bytes before the content. */
const FULL_BOX = 4;

function itemTypes(reader: Reader, iinf: Box): Map<number, string> {
  const version = reader.uint(iinf.start, 1);
  const first = iinf.start + FULL_BOX + (version === 0 ? 2 : 4);
  const types = new Map<number, string>();
  for (const infe of reader.boxes(first, iinf.end)) {
    if (infe.type !== 'infe') continue;
    const infeVersion = reader.uint(infe.start, 1);
    if (infeVersion < 2) continue;
    const idSize = infeVersion === 2 ? 2 : 4;
    const id = reader.uint(infe.start + FULL_BOX, idSize);
    types.set(id, reader.bytes.toString('latin1', infe.start + FULL_BOX + idSize + 2, infe.start + FULL_BOX + idSize + 6));
  }
  return types;
}

/** Items that describe (`cdsc`) each item. */
function descriptions(reader: Reader, iref: Box | undefined): Map<number, number[]> {
  const described = new Map<number, number[]>();
  if (iref === undefined) return described;
  const idSize = reader.uint(iref.start, 1) === 0 ? 2 : 4;
  for (const reference of reader.boxes(iref.start + FULL_BOX, iref.end)) {
    if (reference.type !== 'cdsc') continue;
    const from = reader.uint(reference.start, idSize);
    const count = reader.uint(reference.start + idSize, 2);
    for (let index = 0; index < count; index++) {
      const to = reader.uint(reference.start + idSize + 2 + index * idSize, idSize);
      described.set(to, [...(described.get(to) ?? []), from]);
    }
  }
  return described;
}

/** The bytes of one item, from the file (construction method 0) or the `idat` box (1). */
function itemData(reader: Reader, iloc: Box, idat: Box | undefined, wanted: number): Buffer | undefined {
  const version = reader.uint(iloc.start, 1);
  let at = iloc.start + FULL_BOX;
  const sizes = reader.uint(at, 1);
  const more = reader.uint(at + 1, 1);
  const offsetSize = sizes >> 4;
  const lengthSize = sizes & 0xf;
  const baseOffsetSize = more >> 4;
  const indexSize = version === 1 || version === 2 ? more & 0xf : 0;
  at += 2;
  const idSize = version < 2 ? 2 : 4;
  const count = reader.uint(at, idSize);
  at += idSize;
  for (let item = 0; item < count; item++) {
    const id = reader.uint(at, idSize);
    at += idSize;
    let method = 0;
    if (version === 1 || version === 2) {
      method = reader.uint(at, 2) & 0xf;
      at += 2;
    }
    at += 2; // data_reference_index
    const baseOffset = reader.uint(at, baseOffsetSize);
    at += baseOffsetSize;
    const extents = reader.uint(at, 2);
    at += 2;
    const parts: Buffer[] = [];
    for (let extent = 0; extent < extents; extent++) {
      at += indexSize;
      const offset = reader.uint(at, offsetSize);
      at += offsetSize;
      const length = reader.uint(at, lengthSize);
      at += lengthSize;
      if (id !== wanted) continue;
      const origin = method === 1 ? idat?.start : method === 0 ? 0 : undefined;
      if (origin === undefined) return undefined;
      const from = origin + baseOffset + offset;
      const to = length === 0 ? (method === 1 && idat ? idat.end : reader.bytes.length) : from + length;
      if (to > reader.bytes.length || from > to) return undefined;
      parts.push(reader.bytes.subarray(from, to));
    }
    if (id === wanted) return Buffer.concat(parts);
  }
  return undefined;
}

/** The `meta` box and the primary item's id. */
function primaryOf(reader: Reader): { meta: Box; primary: number | undefined } | undefined {
  const meta = reader.boxes(0, reader.bytes.length).find((box) => box.type === 'meta');
  if (meta === undefined) return undefined;
  const pitm = reader.child(meta, 'pitm', FULL_BOX);
  const primary = pitm === undefined ? undefined : reader.uint(pitm.start + FULL_BOX, reader.uint(pitm.start, 1) === 0 ? 2 : 4);
  return { meta, primary };
}

/** The properties (from `ipco`) associated with an item in `ipma`, in association order. */
function propertiesOf(reader: Reader, meta: Box, item: number): Box[] {
  const iprp = reader.child(meta, 'iprp', FULL_BOX);
  if (iprp === undefined) return [];
  const ipco = reader.child(iprp, 'ipco');
  const ipma = reader.child(iprp, 'ipma');
  if (ipco === undefined || ipma === undefined) return [];
  const properties = reader.boxes(ipco.start, ipco.end);
  const version = reader.uint(ipma.start, 1);
  const wide = (reader.uint(ipma.start + 1, 3) & 1) === 1;
  const idSize = version < 1 ? 2 : 4;
  let at = ipma.start + FULL_BOX;
  const entries = reader.uint(at, 4);
  at += 4;
  for (let entry = 0; entry < entries; entry++) {
    const id = reader.uint(at, idSize);
    const count = reader.uint(at + idSize, 1);
    at += idSize + 1;
    const indices: number[] = [];
    for (let association = 0; association < count; association++) {
      indices.push(wide ? reader.uint(at, 2) & 0x7fff : reader.uint(at, 1) & 0x7f);
      at += wide ? 2 : 1;
    }
    if (id === item) return indices.filter((index) => index > 0).flatMap((index) => properties[index - 1] ?? []);
  }
  return [];
}

/**
 * The ICC profile of the primary image (a `colr` property of type `prof` or `rICC`): iPhones
 * shoot in Display P3, and pixels read without their profile look washed out. Undefined when the
 * file has none, or only an nclx colour description (taken as sRGB).
 */
export function heifIccProfile(file: Buffer): Buffer | undefined {
  try {
    const reader = new Reader(file);
    const found = primaryOf(reader);
    if (found?.primary === undefined) return undefined;
    for (const property of propertiesOf(reader, found.meta, found.primary)) {
      if (property.type !== 'colr') continue;
      const kind = file.toString('latin1', property.start, property.start + 4);
      if (kind === 'prof' || kind === 'rICC') return file.subarray(property.start + 4, property.end);
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** The TIFF block (from its `II*\0` or `MM\0*` header) of the primary image's EXIF; undefined when there is none or it cannot be found. */
export function heifExifTiff(file: Buffer): Buffer | undefined {
  try {
    const reader = new Reader(file);
    const found = primaryOf(reader);
    if (found === undefined) return undefined;
    const { meta, primary } = found;
    const iinf = reader.child(meta, 'iinf', FULL_BOX);
    const iloc = reader.child(meta, 'iloc', FULL_BOX);
    if (iinf === undefined || iloc === undefined) return undefined;
    const exifItems = [...itemTypes(reader, iinf)].filter(([, type]) => type === 'Exif').map(([id]) => id);
    const aboutPrimary = primary === undefined ? [] : (descriptions(reader, reader.child(meta, 'iref', FULL_BOX)).get(primary) ?? []);
    const chosen = exifItems.find((id) => aboutPrimary.includes(id)) ?? exifItems[0];
    if (chosen === undefined) return undefined;
    const data = itemData(reader, iloc, reader.child(meta, 'idat', FULL_BOX), chosen);
    if (data === undefined || data.length < 4) return undefined;
    // The item starts with the offset from its fifth byte to the TIFF header (past an `Exif\0\0`, if any).
    const tiff = data.subarray(4 + data.readUInt32BE(0));
    const header = tiff.toString('latin1', 0, 4);
    return header === 'II*\0' || header === 'MM\0*' ? tiff : undefined;
  } catch {
    return undefined;
  }
}
