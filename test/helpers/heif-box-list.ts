/** A HEIF box as the test helpers that rewrite files see it: where it starts (its size field), its content, its end. */
export interface Box {
  type: string;
  at: number;
  content: number;
  end: number;
}

/** The boxes laid end to end between `start` and `end`, 64-bit sizes (an iPhone's mdat) and "to the end" included. */
export function boxes(bytes: Buffer, start: number, end: number): Box[] {
  const found: Box[] = [];
  for (let at = start; at + 8 <= end; ) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header) throw new Error('a box smaller than its header in this test file');
    found.push({ type: bytes.toString('latin1', at + 4, at + 8), at, content: at + header, end: at + size });
    at += size;
  }
  return found;
}
