import { mkdir, rm } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { commitTempFile, tempPath } from '../storage/atomic.ts';
import { DERIVED_VARIANTS, type DerivedVariant, type ImageFormat, variantDimensions } from './variants.ts';

export interface RenderRequest {
  source: string;
  destination: string;
  variant: DerivedVariant;
  format: ImageFormat;
  /** Of the photo as displayed (EXIF orientation applied). */
  width: number;
  height: number;
}

export interface RenderLimits {
  tempDir: string;
  maxPixels: number;
  timeoutSeconds: number;
}

/**
 * Encoder settings. AVIF effort stays at 0: at effort 2 a 2048px AVIF took over a second
 * here for the same bytes, and a request must never wait on that.
 */
export function encode(image: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'avif':
      return image.avif({ quality: 50, effort: 0 });
    case 'webp':
      return image.webp({ quality: 80, effort: 4 });
    case 'jpg':
      return image.flatten({ background: '#ffffff' }).jpeg({ quality: 82, progressive: true });
  }
}

/**
 * Renders one derivative to its final path through a temp file: upright (EXIF orientation
 * applied), sRGB, every metadata block stripped (no GPS leaks), never upscaled.
 */
export async function renderDerivative(request: RenderRequest, limits: RenderLimits): Promise<void> {
  const target = variantDimensions(request.variant, request.width, request.height);
  const fit = DERIVED_VARIANTS[request.variant].fit === 'cover' ? 'cover' : 'fill';
  const pipeline = sharp(request.source, { failOn: 'none', limitInputPixels: limits.maxPixels })
    .autoOrient()
    .resize(target.width, target.height, { fit, position: 'centre' })
    .toColourspace('srgb')
    .timeout({ seconds: limits.timeoutSeconds });
  await writeImageAtomically(limits.tempDir, request.destination, encode(pipeline, request.format));
}

/** Encodes into a temp file, then fsyncs and renames it into place: readers see all of it or none. */
export async function writeImageAtomically(tempDir: string, destination: string, image: Sharp): Promise<void> {
  await mkdir(tempDir, { recursive: true });
  const temp = tempPath(tempDir);
  try {
    await image.toFile(temp);
    await commitTempFile(temp, destination);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Too much rendering already under way or waiting: the caller answers 503 with Retry-After. */
export class RenderQueueFullError extends Error {
  constructor() {
    super('too many images are being rendered; try again shortly');
  }
}

export interface RenderQueueOptions extends RenderLimits {
  concurrency: number;
  maxWaiting: number;
  render?: (request: RenderRequest, limits: RenderLimits) => Promise<void>;
}

/**
 * Missing derivatives are rendered once per destination however many requests arrive
 * together (single flight), at most `concurrency` at a time, with a bounded wait list.
 */
export class RenderQueue {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;

  constructor(private readonly options: RenderQueueOptions) {}

  get pending(): number {
    return this.inFlight.size;
  }

  ensure(request: RenderRequest): Promise<void> {
    const existing = this.inFlight.get(request.destination);
    if (existing !== undefined) return existing;
    if (this.active >= this.options.concurrency && this.waiting.length >= this.options.maxWaiting) {
      return Promise.reject(new RenderQueueFullError());
    }
    const job = this.run(request).finally(() => this.inFlight.delete(request.destination));
    this.inFlight.set(request.destination, job);
    return job;
  }

  private async run(request: RenderRequest): Promise<void> {
    if (this.active >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await (this.options.render ?? renderDerivative)(request, this.options);
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
