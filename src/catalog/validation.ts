import { ValidationError } from '../errors.ts';

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
