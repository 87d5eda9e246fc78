import type { ImageVariant } from './variants.ts';

/**
 * The URL GraphQL hands out for a rendition. It carries the photo's version, which the image
 * route answers with a year-long immutable Cache-Control.
 */
export function imageUrl(publicId: string, variant: ImageVariant, extension: string, version: number): string {
  return `/images/${publicId}/${variant}.${extension}?v=${version}`;
}
