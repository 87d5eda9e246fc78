import { readFile } from 'node:fs/promises';
import exifr from 'exifr';
import { embeddedTitle } from './embedded-title.ts';
import { heifExifTiff } from './heif-boxes.ts';
import { isHeif } from './media-type.ts';

export interface PhotoMetadata {
  /** Epoch ms of the capture instant when the offset is known, else of the wall-clock time read as UTC. */
  takenAt: number | null;
  takenAtOffset: string | null;
  cameraMake: string | null;
  cameraModel: string | null;
  lensModel: string | null;
  exposureTime: number | null;
  fNumber: number | null;
  iso: number | null;
  focalLength: number | null;
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
}

export const EMPTY_METADATA: PhotoMetadata = {
  takenAt: null,
  takenAtOffset: null,
  cameraMake: null,
  cameraModel: null,
  lensModel: null,
  exposureTime: null,
  fNumber: null,
  iso: null,
  focalLength: null,
  latitude: null,
  longitude: null,
  altitude: null,
};

const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const OFFSET = /^[+-]\d{2}:\d{2}$/;

/** EXIF dates have no zone of their own; exifr would read them in the server's zone, so parse them here. */
function parseExifDate(value: unknown, offset: string | null): number | null {
  if (typeof value !== 'string') return null;
  const match = EXIF_DATE.exec(value);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second] = match;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}${offset ?? 'Z'}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\0/g, '').trim();
  return trimmed === '' ? null : trimmed;
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** What exifr reads: the file itself, or for HEIF the TIFF block its boxes point to (see heif-boxes.ts). */
async function exifSource(file: string, extension: string): Promise<string | Buffer | undefined> {
  if (!isHeif(extension)) return file;
  return heifExifTiff(await readFile(file));
}

/** What a file says of itself: its metadata columns, and a title its owner or an editor wrote (see embedded-title.ts). */
export interface PhotoDetails {
  metadata: PhotoMetadata;
  title: string | null;
  /** XMP xmp:Rating as stars 1-5 (Lightroom's -1, rejected, and 0 are none): read with the title, at import only. */
  rating: number | null;
  /** IPTC Keywords, XMP dc:subject and Lightroom's lr:hierarchicalSubject (every level of "Places|Portugal|Lisbon"), as written: read with the title. */
  keywords: string[];
}

/**
 * Camera, exposure, date and GPS tags, and an embedded title; a file whose EXIF is garbage
 * yields empty metadata, not an error. `extension` is the sniffed format's (the file itself
 * may be a nameless temp file). For HEIF only the Exif item is read (no XMP or IPTC).
 */
export async function readPhotoDetails(file: string, extension: string, withTitle = true): Promise<PhotoDetails> {
  let tags: Record<string, unknown> | undefined;
  try {
    const source = await exifSource(file, extension);
    if (source === undefined) return { metadata: EMPTY_METADATA, title: null, rating: null, keywords: [] };
    // Picked per block: a global `pick` would switch XMP and IPTC off.
    tags = await exifr.parse(source, {
      reviveValues: false,
      ifd0: { pick: ['Make', 'Model', 'ImageDescription'] },
      exif: { pick: ['LensModel', 'ExposureTime', 'FNumber', 'ISO', 'FocalLength', 'DateTimeOriginal', 'OffsetTimeOriginal'] },
      gps: { pick: ['GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef', 'GPSAltitude', 'GPSAltitudeRef'] },
      ifd1: false,
      interop: false,
      icc: false,
      jfif: false,
      // Where only a title is to be found: read only when one is wanted.
      xmp: withTitle,
      iptc: withTitle,
    });
  } catch {
    return { metadata: EMPTY_METADATA, title: null, rating: null, keywords: [] };
  }
  if (tags === undefined || tags === null) return { metadata: EMPTY_METADATA, title: null, rating: null, keywords: [] };
  return {
    metadata: metadataOf(tags),
    title: withTitle ? embeddedTitle(tags) : null,
    rating: withTitle ? xmpRating(tags.Rating) : null,
    keywords: withTitle ? embeddedKeywords(tags) : [],
  };
}

/** Each tag is one string or a list of them; a hierarchical keyword counts every level. */
function embeddedKeywords(tags: Record<string, unknown>): string[] {
  const listed = (value: unknown): string[] =>
    (Array.isArray(value) ? value : [value])
      .filter((item): item is string | number => typeof item === 'string' || typeof item === 'number')
      .map(String);
  const levels = listed(tags.hierarchicalSubject).flatMap((path) => path.split('|'));
  return [...listed(tags.Keywords), ...listed(tags.subject), ...levels]
    .map((keyword) => keyword.trim())
    .filter((keyword) => keyword !== '');
}

/** The metadata columns alone (reprocessing reads them again; a title the owner may have changed is left alone). */
export async function readPhotoMetadata(file: string, extension: string): Promise<PhotoMetadata> {
  return (await readPhotoDetails(file, extension, false)).metadata;
}

function xmpRating(value: unknown): number | null {
  const stars = typeof value === 'string' ? Number(value) : value;
  return typeof stars === 'number' && Number.isInteger(stars) && stars >= 1 && stars <= 5 ? stars : null;
}

function metadataOf(tags: Record<string, unknown>): PhotoMetadata {
  const offset = text(tags.OffsetTimeOriginal);
  const takenAtOffset = offset !== null && OFFSET.test(offset) ? offset : null;
  const altitude = finiteNumber(tags.GPSAltitude);
  return {
    takenAt: parseExifDate(tags.DateTimeOriginal, takenAtOffset),
    takenAtOffset,
    cameraMake: text(tags.Make),
    cameraModel: text(tags.Model),
    lensModel: text(tags.LensModel),
    exposureTime: finiteNumber(tags.ExposureTime),
    fNumber: finiteNumber(tags.FNumber),
    iso: finiteNumber(tags.ISO),
    focalLength: finiteNumber(tags.FocalLength),
    latitude: finiteNumber(tags.latitude),
    longitude: finiteNumber(tags.longitude),
    altitude: altitude !== null && tags.GPSAltitudeRef === 1 ? -altitude : altitude,
  };
}
