/**
 * The closed set of renditions an image URL may name: a fixed list, never a size from the
 * URL, is what stops resize-based denial of service.
 */
export const IMAGE_VARIANTS = ['thumb', 'small', 'medium', 'large', 'original'] as const;
export type ImageVariant = (typeof IMAGE_VARIANTS)[number];
export type DerivedVariant = Exclude<ImageVariant, 'original'>;

export const IMAGE_FORMATS = ['avif', 'webp', 'jpg'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface VariantSpec {
  /** Longest side for `inside`, the square's side for `cover`; never upscaled. */
  size: number;
  fit: 'cover' | 'inside';
}

export const DERIVED_VARIANTS: Readonly<Record<DerivedVariant, VariantSpec>> = {
  thumb: { size: 256, fit: 'cover' },
  small: { size: 640, fit: 'inside' },
  medium: { size: 1280, fit: 'inside' },
  large: { size: 2048, fit: 'inside' },
};

export const MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpg: 'image/jpeg',
};

export function isImageVariant(value: string): value is ImageVariant {
  return (IMAGE_VARIANTS as readonly string[]).includes(value);
}

export function isImageFormat(value: string): value is ImageFormat {
  return (IMAGE_FORMATS as readonly string[]).includes(value);
}

/**
 * Pixel size of a rendition of a `width`×`height` (as displayed) photo. The renderer resizes
 * to exactly this, so the sizes GraphQL reports are the sizes served.
 */
export function variantDimensions(variant: ImageVariant, width: number, height: number): { width: number; height: number } {
  if (variant === 'original') return { width, height };
  const spec = DERIVED_VARIANTS[variant];
  if (spec.fit === 'cover') {
    const side = Math.min(spec.size, width, height);
    return { width: side, height: side };
  }
  const scale = Math.min(1, spec.size / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Renditions the worker makes as soon as a photo is processed; the rest are rendered on first request. */
export const EAGER_RENDITIONS: readonly (readonly [DerivedVariant, ImageFormat])[] = [
  ['medium', 'webp'],
  ['medium', 'jpg'],
  ['thumb', 'webp'],
  ['thumb', 'jpg'],
];

/** How far the photo must be scaled (≤ 1) for this rendition to be cut from it without upscaling. */
export function variantScale(variant: DerivedVariant, width: number, height: number): number {
  const target = variantDimensions(variant, width, height);
  return DERIVED_VARIANTS[variant].fit === 'cover'
    ? target.width / Math.min(width, height)
    : Math.max(target.width / width, target.height / height);
}
