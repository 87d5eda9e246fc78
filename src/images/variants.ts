/**
 * The closed set of renditions an image URL may name: a fixed list, never a size from the
 * URL, is what stops resize-based denial of service. Derived sizes join this list when
 * on-demand rendering lands.
 */
export const IMAGE_VARIANTS = ['original'] as const;
export type ImageVariant = (typeof IMAGE_VARIANTS)[number];

export function isImageVariant(value: string): value is ImageVariant {
  return (IMAGE_VARIANTS as readonly string[]).includes(value);
}
