/**
 * Rewrites a HEIF file so that its Exif item's bytes are stored another way the standard allows
 * (ISO/IEC 14496-12 `iloc`), as phones other than iPhones write them: heif-enc always writes
 * one extent in the file. The `meta` box is rebuilt (a version 1 `iloc`, 32-bit offsets and
 * lengths, and `iinf`, `iref` and `idat` as each way needs), and every item stored after `meta`
 * has its offset moved by as much as `meta` grew.
 *
 * - `extents`: in the file (construction method 0), as three extents at the end of the file;
 * - `idat`: inside `meta`'s `idat` box (method 1), after other items' idat bytes and a few of padding;
 * - `item-reference`: in another item, which the Exif item reads through an `iref` of type `iloc` (method 2).
 */

import { type Box, boxes } from './heif-box-list.ts';
export type ExifStorage = 'extents' | 'idat' | 'item-reference';

function box(type: string, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + content.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, content]);
}

function fullBox(type: string, version: number, ...parts: Buffer[]): Buffer {
  const header = Buffer.alloc(4);
  header[0] = version;
  return box(type, header, ...parts);
}

function uint(value: number, size: 2 | 4): Buffer {
  const bytes = Buffer.alloc(size);
  bytes.writeUIntBE(value, 0, size);
  return bytes;
}

interface Extent {
  offset: number;
  length: number;
}

interface Item {
  id: number;
  method: number;
  /** Method 0: offsets in the file; method 1: in idat's content; method 2: in the referenced item. */
  extents: Extent[];
}

function readIloc(file: Buffer, iloc: Box): Item[] {
  const version = file[iloc.content] as number;
  const sizes = file[iloc.content + 4] as number;
  const more = file[iloc.content + 5] as number;
  const [offsetSize, lengthSize, baseSize] = [sizes >> 4, sizes & 0xf, more >> 4];
  const indexSize = version === 0 ? 0 : more & 0xf;
  const idSize = version < 2 ? 2 : 4;
  const read = (at: number, size: number) => (size === 0 ? 0 : file.readUIntBE(at, size));
  let at = iloc.content + 6;
  const count = read(at, idSize);
  at += idSize;
  const items: Item[] = [];
  for (let index = 0; index < count; index++) {
    const id = read(at, idSize);
    at += idSize;
    const method = version === 0 ? 0 : file.readUInt16BE(at) & 0xf;
    at += version === 0 ? 2 : 4;
    const base = read(at, baseSize);
    at += baseSize;
    const extentCount = file.readUInt16BE(at);
    at += 2;
    const extents: Extent[] = [];
    for (let extent = 0; extent < extentCount; extent++) {
      at += indexSize;
      const offset = base + read(at, offsetSize);
      at += offsetSize;
      extents.push({ offset, length: read(at, lengthSize) });
      at += lengthSize;
    }
    items.push({ id, method, extents });
  }
  return items;
}

function writeIloc(items: Item[]): Buffer {
  const entries = items.map((item) =>
    Buffer.concat([
      uint(item.id, 2),
      uint(item.method, 2),
      uint(0, 2), // data_reference_index: this file
      uint(item.extents.length, 2),
      ...item.extents.flatMap((extent) => [uint(extent.offset, 4), uint(extent.length, 4)]),
    ]),
  );
  // offset_size 4, length_size 4; base_offset_size 0, index_size 0.
  return fullBox('iloc', 1, Buffer.from([0x44, 0x00]), uint(items.length, 2), ...entries);
}

/** The id of the item whose `infe` (version 2 or 3) says it is of type `Exif`. */
function exifItemId(file: Buffer, iinf: Box): number {
  const version = file[iinf.content] as number;
  for (const infe of boxes(file, iinf.content + 4 + (version === 0 ? 2 : 4), iinf.end)) {
    const infeVersion = file[infe.content] as number;
    if (infe.type !== 'infe' || infeVersion < 2) continue;
    const idSize = infeVersion === 2 ? 2 : 4;
    if (file.toString('latin1', infe.content + 4 + idSize + 2, infe.content + 4 + idSize + 6) === 'Exif') {
      return file.readUIntBE(infe.content + 4, idSize);
    }
  }
  throw new Error('no Exif item in this file');
}

/**
 * `reshape` changes the Exif item's bytes on the way (the standard's are a 4-byte offset to the
 * TIFF header, then what it skips, then TIFF), as writers that leave the offset out do.
 */
export function withExifStoredAs(file: Buffer, storage: ExifStorage, reshape: (payload: Buffer) => Buffer = (payload) => payload): Buffer {
  const top = boxes(file, 0, file.length);
  const meta = top.find((candidate) => candidate.type === 'meta');
  if (meta === undefined) throw new Error('no meta box');
  const children = boxes(file, meta.content + 4, meta.end);
  const child = (type: string) => children.find((candidate) => candidate.type === type);
  const iloc = child('iloc');
  const iinf = child('iinf');
  if (iloc === undefined || iinf === undefined) throw new Error('no iloc or iinf');
  if (top.some((candidate) => candidate.type === 'mdat' && candidate.at < meta.at)) throw new Error('mdat before meta: not handled');
  const oldIdat = child('idat');
  const idatContent = oldIdat === undefined ? Buffer.alloc(0) : file.subarray(oldIdat.content, oldIdat.end);

  const items = readIloc(file, iloc);
  const exifId = exifItemId(file, iinf);
  const exif = items.find((item) => item.id === exifId);
  if (exif === undefined || exif.method !== 0) throw new Error('the Exif item is not stored in the file');
  const exifBytes = reshape(Buffer.concat(exif.extents.map(({ offset, length }) => file.subarray(offset, offset + length))));
  const others = items.filter((item) => item.id !== exifId);

  // What the new meta holds besides its untouched children, and what is appended after the file.
  let newIdat = oldIdat === undefined ? undefined : idatContent;
  let newIinf = file.subarray(iinf.at, iinf.end);
  let newIref = child('iref') === undefined ? undefined : file.subarray((child('iref') as Box).at, (child('iref') as Box).end);
  const appended: Buffer[] = [];
  let exifItem: Item;
  const extraItems: Item[] = [];
  const tailOffsets: { item: Item; start: number }[] = [];

  if (storage === 'idat') {
    const padding = Buffer.from('padding!');
    newIdat = Buffer.concat([idatContent, padding, exifBytes]);
    exifItem = { id: exifId, method: 1, extents: [{ offset: idatContent.length + padding.length, length: exifBytes.length }] };
  } else if (storage === 'extents') {
    const third = Math.ceil(exifBytes.length / 3);
    exifItem = {
      id: exifId,
      method: 0,
      extents: [0, third, 2 * third].map((start) => ({ offset: start, length: Math.min(third, exifBytes.length - start) })),
    };
    tailOffsets.push({ item: exifItem, start: 0 });
    appended.push(exifBytes);
  } else {
    const holderId = Math.max(...items.map((item) => item.id)) + 1;
    const holder: Item = { id: holderId, method: 0, extents: [{ offset: 0, length: exifBytes.length }] };
    extraItems.push(holder);
    tailOffsets.push({ item: holder, start: 0 });
    appended.push(exifBytes);
    exifItem = { id: exifId, method: 2, extents: [{ offset: 0, length: exifBytes.length }] };
    // The holder's infe: version 2, hidden, of type mime.
    const infe = fullBox(
      'infe',
      2,
      uint(holderId, 2),
      uint(0, 2),
      Buffer.from('mime', 'latin1'),
      Buffer.from('\0application/octet-stream\0'),
    );
    infe[11] = 1; // flags: hidden
    const iinfVersion = file[iinf.content] as number;
    const countSize = iinfVersion === 0 ? 2 : 4;
    const count = file.readUIntBE(iinf.content + 4, countSize);
    newIinf = Buffer.concat([
      file.subarray(iinf.at, iinf.content + 4),
      uint(count + 1, countSize as 2 | 4),
      file.subarray(iinf.content + 4 + countSize, iinf.end),
      infe,
    ]);
    newIinf.writeUInt32BE(newIinf.length);
    const reference = box('iloc', uint(exifId, 2), uint(1, 2), uint(holderId, 2));
    if (newIref === undefined) newIref = fullBox('iref', 0, reference);
    else {
      if (newIref[8] !== 0) throw new Error('a 32-bit iref: not handled');
      newIref = Buffer.concat([newIref, reference]);
      newIref.writeUInt32BE(newIref.length);
    }
  }

  const build = (ilocItems: Item[]) => {
    const parts = children.map((candidate) => {
      if (candidate.type === 'iloc') return writeIloc(ilocItems);
      if (candidate.type === 'iinf') return newIinf;
      if (candidate.type === 'iref') return newIref as Buffer;
      if (candidate.type === 'idat') return fullBox('idat', 0).subarray(0, 0); // written last
      return file.subarray(candidate.at, candidate.end);
    });
    if (child('iref') === undefined && newIref !== undefined) parts.push(newIref);
    // idat is a plain box (not a FullBox); it goes last, where readers find it by type.
    if (newIdat !== undefined) parts.push(box('idat', newIdat));
    return box('meta', file.subarray(meta.content, meta.content + 4), ...parts);
  };

  // The new meta's size does not depend on the offsets written in it (all 32-bit): measure, then write.
  const layout = (delta: number, tailStart: number) => [
    ...others.map((item) => ({
      ...item,
      extents: item.extents.map((extent) =>
        item.method === 0 && extent.offset >= meta.end ? { ...extent, offset: extent.offset + delta } : extent,
      ),
    })),
    ...[exifItem, ...extraItems].map((item) =>
      tailOffsets.some((entry) => entry.item === item)
        ? { ...item, extents: item.extents.map((extent) => ({ ...extent, offset: extent.offset + tailStart })) }
        : item,
    ),
  ];
  const delta = build(layout(0, 0)).length - (meta.end - meta.at);
  const before = file.length + delta;
  const tail = appended.length === 0 ? Buffer.alloc(0) : box('mdat', ...appended);
  const newMeta = build(layout(delta, before + 8));
  return Buffer.concat([file.subarray(0, meta.at), newMeta, file.subarray(meta.end), tail]);
}
