/**
 * Gives a JPEG an IPTC record as Photoshop, Lightroom and photo desks write it: an APP13
 * "Photoshop 3.0" segment holding an 8BIM resource 0x0404 with IPTC-IIM datasets, marked UTF-8
 * (1:90). sharp cannot write IPTC, and the title tests need it.
 */
function dataset(record: number, tag: number, value: Buffer): Buffer {
  const header = Buffer.from([0x1c, record, tag, 0, 0]);
  header.writeUInt16BE(value.length, 3);
  return Buffer.concat([header, value]);
}

export function withIptc(jpeg: Buffer, datasets: { objectName?: string; keywords?: string[] }): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const records = [
    dataset(1, 90, Buffer.from('\x1b%G', 'latin1')),
    ...(datasets.objectName === undefined ? [] : [dataset(2, 5, Buffer.from(datasets.objectName, 'utf8'))]),
    ...(datasets.keywords ?? []).map((keyword) => dataset(2, 25, Buffer.from(keyword, 'utf8'))),
  ];
  const iptc = Buffer.concat(records);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(iptc.length);
  // Resource: signature, id 0x0404, an empty name (a zero length byte, padded to even), size, data.
  const resource = Buffer.concat([
    Buffer.from('8BIM', 'latin1'),
    Buffer.from([0x04, 0x04, 0, 0]),
    size,
    iptc,
    Buffer.alloc(iptc.length % 2),
  ]);
  const payload = Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), resource]);
  const marker = Buffer.from([0xff, 0xed, 0, 0]);
  marker.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), marker, payload, jpeg.subarray(2)]);
}
