import { ValidationError } from '../errors.ts';
import type { GeoBox } from '../places/geo-cells.ts';

export const MAX_TITLE_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 5000;
/** How many photos one mutation may name: bounds the work a single request can cause. */
export const MAX_PHOTOS_PER_CHANGE = 1000;

export function validTitle(field: string, title: string): string {
  const trimmed = title.trim();
  if (trimmed === '') throw new ValidationError(field, `${field} must not be empty`);
  if (trimmed.length > MAX_TITLE_LENGTH) throw new ValidationError(field, `${field} must be at most ${MAX_TITLE_LENGTH} characters`);
  return trimmed;
}

export function validDescription(field: string, description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new ValidationError(field, `${field} must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description;
}

export function validPhotoList(field: string, ids: readonly string[], allowEmpty = false): string[] {
  if (!allowEmpty && ids.length === 0) throw new ValidationError(field, `${field} must name at least one photo`);
  if (ids.length > MAX_PHOTOS_PER_CHANGE) throw new ValidationError(field, `${field} may name at most ${MAX_PHOTOS_PER_CHANGE} photos`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new ValidationError(field, `${field} names the same photo twice`);
    seen.add(id);
  }
  return [...ids];
}

/** The most stars a photo can have; 0 is none. */
export const MAX_RATING = 5;

export function validRating(field: string, rating: number, least = 0): number {
  if (!Number.isInteger(rating) || rating < least || rating > MAX_RATING) {
    throw new ValidationError(field, `${field} must be a whole number of stars from ${least} to ${MAX_RATING}, got ${rating}`);
  }
  return rating;
}

export const MAX_KEYWORD_LENGTH = 100;
/** How many keywords one photo may carry, and one change may name. */
export const MAX_KEYWORDS_PER_PHOTO = 100;

/** A keyword as stored: trimmed, inner runs of space as one, no control characters. */
export function validKeyword(field: string, keyword: string): string {
  const name = keyword.replace(/\s+/gu, ' ').trim();
  if (name === '') throw new ValidationError(field, `${field} must not be empty`);
  if (name.length > MAX_KEYWORD_LENGTH) throw new ValidationError(field, `${field} must be at most ${MAX_KEYWORD_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/u.test(name)) throw new ValidationError(field, `${field} must not contain control characters`);
  return name;
}

/** Keywords as stored, each once (by keywordKey), in the order given. */
export function validKeywords(field: string, keywords: readonly string[]): string[] {
  if (keywords.length > MAX_KEYWORDS_PER_PHOTO)
    throw new ValidationError(field, `${field} may name at most ${MAX_KEYWORDS_PER_PHOTO} keywords`);
  return distinctKeywords(keywords.map((keyword) => validKeyword(field, keyword)));
}

/** Valid keywords each once (the first spelling of each keywordKey), in the order given. */
export function distinctKeywords(names: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const name of names) if (!byKey.has(keywordKey(name))) byKey.set(keywordKey(name), name);
  return [...byKey.values()];
}

/** What makes two keywords one: case and Unicode compatibility forms folded ("Lisbon", "LISBON"). */
export function keywordKey(name: string): string {
  return name.normalize('NFKC').toLocaleLowerCase('en');
}

export const MAX_SEARCH_LENGTH = 200;
export const MAX_SEARCH_WORDS = 12;

/**
 * The words of a search as typed: runs of anything but white space, each kept only if it holds
 * a letter or a digit (FTS syntax, quotes and stray punctuation are not words). Too long a
 * search is refused rather than cut, so the answer never quietly means something else.
 */
export function searchWords(field: string, text: string): string[] {
  if (text.length > MAX_SEARCH_LENGTH) throw new ValidationError(field, `${field} must be at most ${MAX_SEARCH_LENGTH} characters`);
  const words = text.split(/\s+/u).filter((word) => /[\p{L}\p{N}]/u.test(word));
  if (words.length > MAX_SEARCH_WORDS) throw new ValidationError(field, `${field} may have at most ${MAX_SEARCH_WORDS} words`);
  return words;
}

/** A box on the map, in degrees (geo-cells.ts GeoBox); west > east crosses the antimeridian. */
export function validGeoBox(field: string, box: GeoBox): GeoBox {
  const { west, south, east, north } = box;
  if (![west, south, east, north].every(Number.isFinite)) throw new ValidationError(field, `${field} must be four finite numbers`);
  if (Math.abs(south) > 90 || Math.abs(north) > 90) throw new ValidationError(field, `${field}: latitudes run from -90 to 90`);
  if (Math.abs(west) > 180 || Math.abs(east) > 180) throw new ValidationError(field, `${field}: longitudes run from -180 to 180`);
  if (south > north) throw new ValidationError(field, `${field}: south must not be north of north`);
  return { west, south, east, north };
}
