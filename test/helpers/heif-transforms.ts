/**
 * Gives a HEIF file's primary image transformation properties (`irot`, `imir`), as a phone's
 * camera writes them: heif-enc 1.15 cannot, and the orientation tests need files whose
 * transforms say one thing and whose EXIF says another. The properties are appended to `ipco`
 * and associated with the primary item in `ipma`; every box around them grows, and every item
 * stored after `meta` has its `iloc` offset moved by as much.
 */

import { type Box, boxes } from './heif-box-list.ts';

export type HeifTransform = { kind: 'irot'; quarterTurnsAnticlockwise: 1 | 2 | 3 } | { kind: 'imir'; flip: 'upside-down' | 'left-right' };

function only(list: Box[], type: string): Box {
  const box = list.find((candidate) => candidate.type === type);
  if (box === undefined) throw new Error(`no ${type} box`);
  return box;
}

function propertyBox(transform: HeifTransform): Buffer {
  const box = Buffer.alloc(9);
  box.writeUInt32BE(9);
  box.write(transform.kind, 4, 'latin1');
  // irot: anticlockwise quarter turns. imir: its axis bit as libheif reads it (0 flips upside down, 1 left to right);
  // the two editions of the standard word it differently, and native libheif is the reference the tests compare with.
  box[8] = transform.kind === 'irot' ? transform.quarterTurnsAnticlockwise : transform.flip === 'upside-down' ? 0 : 1;
  return box;
}

export function withTransforms(file: Buffer, transforms: HeifTransform[]): Buffer {
  const top = boxes(file, 0, file.length);
  const meta = only(top, 'meta');
  const inMeta = boxes(file, meta.content + 4, meta.end);
  const primary = file.readUInt16BE(only(inMeta, 'pitm').content + 4);
  const iprp = only(inMeta, 'iprp');
  const inIprp = boxes(file, iprp.content, iprp.end);
  const ipco = only(inIprp, 'ipco');
  const ipma = only(inIprp, 'ipma');
  if (ipma.at < ipco.at) throw new Error('ipma before ipco: not the layout this helper knows');
  const existing = boxes(file, ipco.content, ipco.end).length;
  const added = Buffer.concat(transforms.map(propertyBox));

  // ipma: find the primary item's entry and append essential associations to the new properties.
  const flags = file.readUIntBE(ipma.content + 1, 3);
  const version = file[ipma.content] as number;
  const wide = (flags & 1) === 1;
  const idSize = version < 1 ? 2 : 4;
  const entries = file.readUInt32BE(ipma.content + 4);
  let at = ipma.content + 8;
  let insertAt = -1;
  let countAt = -1;
  for (let entry = 0; entry < entries; entry++) {
    const id = file.readUIntBE(at, idSize);
    const count = file[at + idSize] as number;
    const next = at + idSize + 1 + count * (wide ? 2 : 1);
    if (id === primary) {
      countAt = at + idSize;
      insertAt = next;
    }
    at = next;
  }
  if (insertAt === -1) throw new Error('the primary item has no ipma entry');
  const associations = Buffer.concat(
    transforms.map((_, index) => {
      const property = existing + index + 1;
      const association = Buffer.alloc(wide ? 2 : 1);
      if (wide) association.writeUInt16BE(0x8000 | property);
      else association[0] = 0x80 | property;
      return association;
    }),
  );
  const growth = added.length + associations.length;

  const out = Buffer.concat([file.subarray(0, ipco.end), added, file.subarray(ipco.end, insertAt), associations, file.subarray(insertAt)]);
  const grow = (box: Box, by: number, shiftedBy = 0) => out.writeUInt32BE(box.end - box.at + by, box.at + shiftedBy);
  grow(meta, growth);
  grow(iprp, growth);
  grow(ipco, added.length);
  grow(ipma, associations.length, added.length);
  out[countAt + added.length] = (file[countAt] as number) + transforms.length;

  // iloc sits before ipco here (heif-enc's order), so its own position did not move: shift what lies past meta.
  const iloc = only(inMeta, 'iloc');
  if (iloc.at > ipco.at) throw new Error('iloc after iprp: not the layout this helper knows');
  const ilocVersion = out[iloc.content] as number;
  const sizes = out[iloc.content + 4] as number;
  const more = out[iloc.content + 5] as number;
  const offsetSize = sizes >> 4;
  const lengthSize = sizes & 0xf;
  const baseSize = more >> 4;
  const indexSize = ilocVersion === 1 || ilocVersion === 2 ? more & 0xf : 0;
  const itemIdSize = ilocVersion < 2 ? 2 : 4;
  let cursor = iloc.content + 6;
  const items = out.readUIntBE(cursor, itemIdSize);
  cursor += itemIdSize;
  for (let item = 0; item < items; item++) {
    cursor += itemIdSize;
    let method = 0;
    if (ilocVersion === 1 || ilocVersion === 2) {
      method = out.readUInt16BE(cursor) & 0xf;
      cursor += 2;
    }
    cursor += 2;
    const baseAt = cursor;
    const base = baseSize === 0 ? 0 : out.readUIntBE(cursor, baseSize);
    cursor += baseSize;
    const extents = out.readUInt16BE(cursor);
    cursor += 2;
    for (let extent = 0; extent < extents; extent++) {
      cursor += indexSize;
      const offset = offsetSize === 0 ? 0 : out.readUIntBE(cursor, offsetSize);
      if (method === 0 && base === 0 && offset >= meta.end) out.writeUIntBE(offset + growth, cursor, offsetSize);
      cursor += offsetSize + lengthSize;
    }
    if (method === 0 && base >= meta.end) out.writeUIntBE(base + growth, baseAt, baseSize);
  }
  return out;
}
