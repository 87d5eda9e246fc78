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

/** Each item's references of one type (`cdsc`: the items it describes; `iloc`: the items its data is taken from), in order. */
function references(reader: Reader, iref: Box | undefined, kind: string): Map<number, number[]> {
  const found = new Map<number, number[]>();
  if (iref === undefined) return found;
  const idSize = reader.uint(iref.start, 1) === 0 ? 2 : 4;
  for (const reference of reader.boxes(iref.start + FULL_BOX, iref.end)) {
    if (reference.type !== kind) continue;
    const from = reader.uint(reference.start, idSize);
    const count = reader.uint(reference.start + idSize, 2);
    const to: number[] = [];
    for (let index = 0; index < count; index++) to.push(reader.uint(reference.start + idSize + 2 + index * idSize, idSize));
    found.set(from, [...(found.get(from) ?? []), ...to]);
  }
  return found;
}

/** Items that describe (`cdsc`) each item. */
function descriptions(reader: Reader, iref: Box | undefined): Map<number, number[]> {
  const described = new Map<number, number[]>();
  for (const [from, targets] of references(reader, iref, 'cdsc')) {
    for (const to of targets) described.set(to, [...(described.get(to) ?? []), from]);
  }
  return described;
}

interface Extent {
  /** Which of the item's `iloc` references it reads (construction method 2), counted from 1. */
  index: number;
  offset: number;
  /** 0: to the end of what it reads from. */
  length: number;
}

/** Where one item's bytes are: 0 in the file, 1 in `idat`, 2 in other items (through `iref` type `iloc`). */
interface Location {
  method: number;
  baseOffset: number;
  extents: Extent[];
}

/** Every item's location in `iloc` (versions 0, 1 and 2). */
function locations(reader: Reader, iloc: Box): Map<number, Location> {
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
  const found = new Map<number, Location>();
  for (let item = 0; item < count; item++) {
    const id = reader.uint(at, idSize);
    at += idSize;
    let method = 0;
    if (version === 1 || version === 2) {
      method = reader.uint(at, 2) & 0xf;
      at += 2;
    }
    at += 2; // data_reference_index: 0 is this file, the only kind read here
    const baseOffset = reader.uint(at, baseOffsetSize);
    at += baseOffsetSize;
    const extentCount = reader.uint(at, 2);
    at += 2;
    const extents: Extent[] = [];
    for (let extent = 0; extent < extentCount; extent++) {
      // Without an index field, an extent reads the item's first reference.
      const index = indexSize === 0 ? 1 : reader.uint(at, indexSize);
      at += indexSize;
      const offset = reader.uint(at, offsetSize);
      at += offsetSize;
      const length = reader.uint(at, lengthSize);
      at += lengthSize;
      extents.push({ index, offset, length });
    }
    found.set(id, { method, baseOffset, extents });
  }
  return found;
}

/** A slice of `source`, or undefined when it does not lie inside it. */
function slice(source: Buffer, from: number, length: number): Buffer | undefined {
  const to = length === 0 ? source.length : from + length;
  return from <= to && to <= source.length ? source.subarray(from, to) : undefined;
}

/** How deep construction method 2 may chain items (one item's data made of another's): a loop ends here. */
const MAX_ITEM_NESTING = 4;

/**
 * The bytes of one item, from all its extents laid end to end: in the file (construction method
 * 0), in the `idat` box (1), or in the items it references through `iref` type `iloc` (2).
 */
function itemData(reader: Reader, meta: Box, wanted: number, depth = 0): Buffer | undefined {
  const iloc = reader.child(meta, 'iloc', FULL_BOX);
  const location = iloc === undefined ? undefined : locations(reader, iloc).get(wanted);
  if (location === undefined || depth > MAX_ITEM_NESTING) return undefined;
  const idat = reader.child(meta, 'idat', FULL_BOX);
  const sources = location.method === 2 ? (references(reader, reader.child(meta, 'iref', FULL_BOX), 'iloc').get(wanted) ?? []) : [];
  const parts: Buffer[] = [];
  for (const extent of location.extents) {
    let source: Buffer | undefined;
    if (location.method === 0) source = reader.bytes;
    else if (location.method === 1) source = idat === undefined ? undefined : reader.bytes.subarray(idat.start, idat.end);
    else if (location.method === 2) {
      const from = sources[extent.index - 1];
      source = from === undefined ? undefined : itemData(reader, meta, from, depth + 1);
    }
    const part = source === undefined ? undefined : slice(source, location.baseOffset + extent.offset, extent.length);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts);
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

function startsWithTiffHeader(bytes: Buffer): boolean {
  const header = bytes.toString('latin1', 0, 4);
  return header === 'II*\0' || header === 'MM\0*';
}

/**
 * The TIFF block of an Exif item's bytes. The standard starts the item with the offset from its
 * fifth byte to the TIFF header (past an `Exif\0\0`, if any); some Android writers leave that
 * offset out and start with `Exif\0\0` or with the TIFF header itself.
 */
function tiffOf(data: Buffer): Buffer | undefined {
  const starts = data.length >= 4 ? [4 + data.readUInt32BE(0), 0, 6] : [0];
  for (const start of starts) {
    const tiff = data.subarray(start);
    if (startsWithTiffHeader(tiff)) return tiff;
  }
  return undefined;
}

/** The TIFF block (from its `II*\0` or `MM\0*` header) of the primary image's EXIF; undefined when there is none or it cannot be found. */
export function heifExifTiff(file: Buffer): Buffer | undefined {
  try {
    const reader = new Reader(file);
    const found = primaryOf(reader);
    if (found === undefined) return undefined;
    const { meta, primary } = found;
    const iinf = reader.child(meta, 'iinf', FULL_BOX);
    if (iinf === undefined) return undefined;
    const exifItems = [...itemTypes(reader, iinf)].filter(([, type]) => type === 'Exif').map(([id]) => id);
    const aboutPrimary = primary === undefined ? [] : (descriptions(reader, reader.child(meta, 'iref', FULL_BOX)).get(primary) ?? []);
    const chosen = exifItems.find((id) => aboutPrimary.includes(id)) ?? exifItems[0];
    if (chosen === undefined) return undefined;
    const data = itemData(reader, meta, chosen);
    return data === undefined ? undefined : tiffOf(data);
  } catch {
    return undefined;
  }
}
