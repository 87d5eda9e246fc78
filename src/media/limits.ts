import type { FileStore } from '../storage/file-store.ts';

/** Bounds on decoding: a file over these is refused (ingest) or fails its render, never exhausts the machine. */
export const MAX_INPUT_PIXELS = 100_000_000;
/** One on-demand rendition: a request waits on it, so it must end. */
export const RENDER_TIMEOUT_SECONDS = 30;
/** One photo's whole processing in the worker (decode, eager renditions, placeholder). */
export const PROCESSING_TIMEOUT_SECONDS = 120;

export interface DecodeLimits {
  maxPixels: number;
  timeoutSeconds: number;
}

/** Limits of a decode whose result is written whole or not at all through `files` (the data dir, or a bucket). */
export interface RenderLimits extends DecodeLimits {
  files: Pick<FileStore, 'write' | 'fetch'>;
}
