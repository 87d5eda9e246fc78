/**
 * The names inside an album's ZIP and of the ZIP itself, as pure functions: a photo's title (or
 * the name it was uploaded under) made safe as one file name on every system that unpacks it,
 * with the extension of the bytes it holds, and made unique within the archive in album order,
 * so the same album downloads under the same names every time.
 */

/** Longest name part kept, in UTF-8 bytes (the extension and a " (n)" come on top): well under every file system's 255. */
const MAX_NAME_BYTES = 150;
/** What no file name may hold somewhere (`/` and `\` separate paths; the rest Windows refuses), C0/C1 controls, and bidi overrides that make `gpj.exe` read `exe.jpg`. */
const UNSAFE = /[/\\:*?"<>|\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/** An image extension a title may already end in: the entry's own replaces it. */
const IMAGE_EXTENSION = /\.(jpe?g|png|webp|avif|gif|tiff?|heic|heif)$/i;
/** Names Windows keeps for devices, whatever their extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const FALLBACK = 'photo';

/**
 * One safe name part from text a person wrote: no separators, controls or `..`, no leading dots
 * (hidden files, `..`), no trailing dots or spaces (Windows drops them), at most MAX_NAME_BYTES.
 */
export function safeNamePart(text: string, fallback = FALLBACK): string {
  let name = text.normalize('NFC').replace(UNSAFE, '_').replace(/\s+/g, ' ').trim();
  name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  name = truncateUtf8(name, MAX_NAME_BYTES).replace(/[.\s]+$/, '');
  if (name === '') return fallback;
  return RESERVED.test(name) ? `${name}_` : name;
}

/** At most `bytes` of UTF-8, cut between characters (never inside a surrogate pair). */
function truncateUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let kept = '';
  let size = 0;
  for (const character of text) {
    size += Buffer.byteLength(character);
    if (size > bytes) break;
    kept += character;
  }
  return kept;
}

/** The name a photo goes by in an archive, before its extension: its title, else the file name it came with, else "photo". */
export function photoBaseName(title: string, originalFilename: string | null): string {
  const chosen = title.trim() !== '' ? title : (originalFilename ?? '');
  return safeNamePart(chosen.trim().replace(IMAGE_EXTENSION, ''));
}

/**
 * Unique names within one archive, given in its order: the first "x.jpg" keeps its name, later
 * ones become "x (2).jpg", "x (3).jpg". Compared without case, as macOS and Windows compare
 * names when the archive is unpacked. Holds one string per entry, as the archive's own
 * directory of entries does.
 */
export class EntryNames {
  private readonly used = new Set<string>();
  /** Per name, the number to try next: a thousand photos titled alike cost a thousand checks, not half a million. */
  private readonly nextNumber = new Map<string, number>();

  next(base: string, extension: string): string {
    const plain = `${base}.${extension}`;
    const key = plain.toLowerCase();
    let n = this.nextNumber.get(key) ?? 1;
    let name = n === 1 ? plain : `${base} (${n}).${extension}`;
    // A title may itself read "x (2)": a number taken that way is skipped.
    while (this.used.has(name.toLowerCase())) name = `${base} (${++n}).${extension}`;
    this.nextNumber.set(key, n + 1);
    this.used.add(name.toLowerCase());
    return name;
  }
}

/**
 * `Content-Disposition: attachment` for a download named after an album (RFC 6266): an ASCII
 * `filename` for old clients, the exact name in `filename*` (RFC 8187) for the rest.
 */
export function attachmentDisposition(albumTitle: string, extension: string): string {
  const name = `${safeNamePart(albumTitle, 'album')}.${extension}`;
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
