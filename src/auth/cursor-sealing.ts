import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Plaintexts are padded to a multiple of this (a 0x80 byte, then zeros): a cursor's length
 * would otherwise give the digit count of the row id inside it, and so the library's size. An
 * album's cursors (position and row id) fit one block, a photo order's (a millisecond instant and
 * a row id) two, up to ids of 10 digits; a title order's grows with the title (which the viewer
 * reads anyway). Blocks of 64 bytes measured about a tenth slower on the gallery page (more
 * bytes sealed and sent for each of its ~260 cursors).
 */
const PADDED_BLOCK_BYTES = 32;
const PAD_MARK = 0x80;

function padded(plaintext: Buffer): Buffer {
  const length = Math.ceil((plaintext.length + 1) / PADDED_BLOCK_BYTES) * PADDED_BLOCK_BYTES;
  const out = Buffer.alloc(length);
  plaintext.copy(out);
  out[plaintext.length] = PAD_MARK;
  return out;
}

/** The plaintext without its padding; one sealed before padding existed (it ends in JSON's `]`) as it is. */
function unpadded(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end > 0 && bytes[end - 1] === PAD_MARK ? bytes.subarray(0, end - 1) : bytes;
}

/** The two keys cursors are sealed with, derived from the server secret (never the secret itself). */
export interface CursorKeys {
  encryption: KeyObject;
  nonce: KeyObject;
}

export function cursorKeys(secret: string): CursorKeys {
  const material = Buffer.from(hkdfSync('sha256', secret, '', 'lightbox cursor v1', 64));
  return { encryption: createSecretKey(material.subarray(0, 32)), nonce: createSecretKey(material.subarray(32)) };
}

/**
 * A page cursor as clients see it: AES-256-GCM over the position it stands for (row ids and
 * timestamps stay inside), so it is opaque and cannot be forged. The nonce is an HMAC of the
 * plaintext, so the same position always seals to the same cursor (a page's response stays
 * byte-identical, cacheable and comparable) and two positions never share a nonce.
 */
export function sealCursor(keys: CursorKeys, cursor: string): string {
  const plaintext = padded(Buffer.from(cursor, 'utf8'));
  const nonce = createHmac('sha256', keys.nonce).update(plaintext).digest().subarray(0, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, nonce);
  const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString('base64url');
}

/** The position a sealed cursor stands for, or undefined when it is not one this secret sealed. */
export function openCursor(keys: CursorKeys, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= NONCE_BYTES + TAG_BYTES || bytes.toString('base64url') !== sealed) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', keys.encryption, bytes.subarray(0, NONCE_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return unpadded(Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()])).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
