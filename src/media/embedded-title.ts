/**
 * A photo's title as a camera owner or an editor wrote it into the file: XMP `dc:title`
 * (Lightroom, digiKam, Photos apps), IPTC `ObjectName`, or EXIF `ImageDescription`, in that
 * order. Cameras fill ImageDescription with their own name or a placeholder ("OLYMPUS DIGITAL
 * CAMERA"), which is no title: those are skipped, and so is text that only repeats the camera.
 */

/** Placeholders cameras and phones write, compared in upper case with spaces collapsed. */
const CAMERA_BOILERPLATE = new Set([
  'OLYMPUS DIGITAL CAMERA',
  'SONY DSC',
  'DIGITAL CAMERA',
  'KODAK DIGITAL STILL CAMERA',
  'MINOLTA DIGITAL CAMERA',
  'KONICA MINOLTA DIGITAL CAMERA',
  'SAMSUNG DIGITAL CAMERA',
  'SAMSUNG',
  'EXIF_JPEG_PICTURE',
  'DEFAULT',
  'DCIM',
  'IMAGE',
  'PICTURE',
  'PHOTO',
  'UNTITLED',
  'NO TITLE',
  'DESCRIPTION',
]);

/** Longest title kept, as the API allows (catalog/validation.ts). */
const MAX_TITLE_LENGTH = 200;

export interface TitleTags {
  /** XMP dc:title as exifr gives it: a string, or a language alternative ({ lang, value }, or several). */
  title?: unknown;
  ObjectName?: unknown;
  ImageDescription?: unknown;
  Make?: unknown;
  Model?: unknown;
}

function clean(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // Control characters (padding NULs among them) are never part of a title.
  const text = value
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text === '' ? null : text.slice(0, MAX_TITLE_LENGTH).trim();
}

/** XMP's language alternative: the x-default entry, else the first. */
function xmpText(value: unknown): string | null {
  if (Array.isArray(value)) {
    const preferred = value.find((entry) => entry?.lang === 'x-default') ?? value[0];
    return xmpText(preferred);
  }
  if (value !== null && typeof value === 'object' && 'value' in value) return clean((value as { value: unknown }).value);
  return clean(value);
}

/** IPTC text as exifr reads it (latin1): most editors write UTF-8, so read it as UTF-8 when it is valid UTF-8. */
function iptcText(value: unknown): string | null {
  const text = clean(Array.isArray(value) ? value[0] : value);
  if (text === null) return null;
  const utf8 = Buffer.from(text, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? text : utf8;
}

function isBoilerplate(text: string, tags: TitleTags): boolean {
  const upper = text.toUpperCase();
  if (CAMERA_BOILERPLATE.has(upper)) return true;
  const camera = [clean(tags.Make), clean(tags.Model)].filter((part): part is string => part !== null).map((part) => part.toUpperCase());
  return camera.includes(upper) || upper === camera.join(' ');
}

export function embeddedTitle(tags: TitleTags): string | null {
  for (const candidate of [xmpText(tags.title), iptcText(tags.ObjectName), clean(tags.ImageDescription)]) {
    if (candidate !== null && !isBoilerplate(candidate, tags)) return candidate;
  }
  return null;
}
