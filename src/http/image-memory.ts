/** What each of the image route's memories may take of LIGHTBOX_IMAGE_CACHE_MB, in bytes. */
export interface ImageMemoryShares {
  /** Photo rows by public id (catalog/photo-files.ts). */
  rowBytes: number;
  /** ETags and 304 headers by file (validators.ts). */
  validatorBytes: number;
  /** Files' bytes (file-cache.ts). */
  bodyBytes: number;
}

/**
 * LIGHTBOX_IMAGE_CACHE_MB bounds what serving many distinct photos adds to the process's RSS,
 * not only what the route counts: an eighth each to the rows and the validators, half to the
 * bodies, and a quarter left for what touching many photos costs beside them (the database's
 * page cache, better-sqlite3's 16 MB, and the heap the collector keeps free beside the two
 * memories on it). Measured: a 200 then a 304 for each of 75,000 photos at the default 128 MB
 * (bench/image-scale.ts, docs/performance.md).
 */
export function shareImageMemory(configuredBytes: number): ImageMemoryShares {
  const eighth = Math.floor(configuredBytes / 8);
  return { rowBytes: eighth, validatorBytes: eighth, bodyBytes: 4 * eighth };
}
