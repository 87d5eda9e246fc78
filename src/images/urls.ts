import { imageSignature } from './signing.ts';
import type { ImageFormat, ImageVariant } from './variants.ts';

export interface UrlSigning {
  secret: string;
  /** Unix seconds; one value per request so every URL in a response expires together. */
  expiresAt: number;
}

export interface PhotoUrlFields {
  publicId: string;
  originalExtension: string;
  version: number;
}

/**
 * The URL GraphQL hands out for a rendition. It carries the photo's version, which the image
 * route answers with a year-long immutable Cache-Control; private photos also get `exp` and `sig`.
 * The original keeps its own extension whatever `format` says.
 */
export function imageUrl(photo: PhotoUrlFields, variant: ImageVariant, format: ImageFormat, signing?: UrlSigning): string {
  const extension = variant === 'original' ? photo.originalExtension : format;
  const pathname = `/images/${photo.publicId}/${variant}.${extension}`;
  const versioned = `${pathname}?v=${photo.version}`;
  if (signing === undefined) return versioned;
  return `${versioned}&exp=${signing.expiresAt}&sig=${imageSignature(signing.secret, pathname, signing.expiresAt)}`;
}
