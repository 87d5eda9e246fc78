import type { Config } from '../config.ts';

/**
 * Slot `slot`'s part of a bound the user sets for the whole server: the parts add up to `total`
 * (the first slots take what does not divide), and none is below `least`.
 */
export function shareOf(total: number, processes: number, slot: number, least = 0): number {
  const even = Math.floor(total / processes);
  return Math.max(least, even + (slot < total % processes ? 1 : 0));
}

/**
 * The configuration one of `processes` server processes runs with. What the README states for
 * the server is split, so the user's number keeps its meaning whatever the count: the image
 * memory (LIGHTBOX_IMAGE_CACHE_MB), renders at once (at least one each) and renders waiting.
 * What bounds one process's own heap and event loop (GraphQL slots, bodies arriving, event
 * streams, password hashing) stays per process; docs/operations.md lists each.
 */
export function configForProcess(config: Config, processes: number, slot: number): Config {
  if (processes === 1) return config;
  return {
    ...config,
    images: {
      ...config.images,
      cacheBytes: Math.floor(config.images.cacheBytes / processes),
      renderConcurrency: shareOf(config.images.renderConcurrency, processes, slot, 1),
      renderQueue: shareOf(config.images.renderQueue, processes, slot),
    },
  };
}
