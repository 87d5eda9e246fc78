import { LightboxError } from '../errors.ts';
import type { RenderLimits } from './limits.ts';
import { type PublicOriginalRequest, writePublicOriginal } from './public-original.ts';
import { PhotoSource } from './source.ts';
import type { DerivedVariant, ImageFormat } from './variants.ts';

export type RenderRequest =
  | {
      source: string;
      destination: string;
      variant: DerivedVariant;
      format: ImageFormat;
      /** Of the photo as displayed (orientation applied). */
      width: number;
      height: number;
    }
  | ({ variant: 'original' } & PublicOriginalRequest);

export type Render = (request: RenderRequest, limits: RenderLimits) => Promise<void>;

/** One rendition on demand, through the same source and encoders the worker uses; or the public copy of an original. */
export async function renderRendition(request: RenderRequest, limits: RenderLimits): Promise<void> {
  if (request.variant === 'original') return writePublicOriginal(request, limits);
  await PhotoSource.open(request.source, request, limits).write(request.variant, request.format, request.destination, limits.tempDir);
}

export interface RenderQueueOptions extends RenderLimits {
  concurrency: number;
  maxWaiting: number;
  /** What renders one request; tests wrap it to count renders. */
  render?: Render;
}

/**
 * Missing renditions are rendered once per destination however many requests arrive
 * together (single flight), at most `concurrency` at a time, with a bounded wait list:
 * past it, `ensure` rejects with RENDER_BUSY and the route answers 503.
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
      return Promise.reject(new LightboxError('RENDER_BUSY', 'too many images are being rendered; try again shortly'));
    }
    const job = this.run(request).finally(() => this.inFlight.delete(request.destination));
    this.inFlight.set(request.destination, job);
    return job;
  }

  private async run(request: RenderRequest): Promise<void> {
    if (this.active >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await (this.options.render ?? renderRendition)(request, this.options);
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
