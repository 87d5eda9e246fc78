import { LightboxError } from '../errors.ts';
import type { StorageLayout } from '../storage/layout.ts';
import type { RenderLimits } from './limits.ts';
import { type PublicOriginalRequest, publicOriginalFormat, writePublicOriginal } from './public-original.ts';
import { PhotoSource } from './source.ts';
import type { DerivedVariant, ImageFormat } from './variants.ts';

export type PublicOriginalRender = { variant: 'original' } & PublicOriginalRequest;

export type RenderRequest =
  | {
      source: string;
      /** Clockwise, after the source's own orientation (see renditionSource). */
      quarterTurns: number;
      destination: string;
      variant: DerivedVariant;
      format: ImageFormat;
      /** Of the photo as displayed (orientation and quarter turns applied). */
      width: number;
      height: number;
      /** `source` is this public copy, made first when it is missing (see renditionSource). */
      via?: PublicOriginalRender;
    }
  | PublicOriginalRender;

/** A photo's file facts, as far as making its public copy needs them. */
export interface PublicCopySource {
  publicId: string;
  /** The untouched original. */
  originalPath: string;
  extension: string;
  mimeType: string;
  version: number;
  orientation: number;
  quarterTurns: number;
}

/**
 * What makes a photo's public copy (ORIGINAL for everyone but the admin): the one request the
 * image route and an album's download both render it through, to the one path both serve it from.
 */
export function publicOriginalRender(layout: StorageLayout, photo: PublicCopySource): PublicOriginalRender {
  return {
    variant: 'original',
    source: photo.originalPath,
    destination: layout.derivedPath(photo.publicId, 'original', photo.version, publicOriginalFormat(photo).extension),
    extension: photo.extension,
    orientation: photo.orientation,
    quarterTurns: photo.quarterTurns,
  };
}

export type Render = (request: RenderRequest, limits: RenderLimits) => Promise<void>;

/** One rendition on demand, through the same source and encoders the worker uses; or the public copy of an original. */
export async function renderRendition(request: RenderRequest, limits: RenderLimits): Promise<void> {
  if (request.variant === 'original') return writePublicOriginal(request, limits);
  if (!(await limits.files.fetch(request.source))) throw new Error(`the source ${request.source} of a rendition is missing`);
  await PhotoSource.open({ path: request.source, quarterTurns: request.quarterTurns }, request, limits).write(
    request.variant,
    request.format,
    request.destination,
    limits.files,
  );
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
    const job = this.prerequisite(request)
      .then(() => this.run(request))
      .finally(() => this.inFlight.delete(request.destination));
    this.inFlight.set(request.destination, job);
    return job;
  }

  /** The public copy a rendition is cut from, made once however many renditions wait on it; before a slot is taken, so none waits on itself. */
  private async prerequisite(request: RenderRequest): Promise<void> {
    if (request.variant === 'original' || request.via === undefined) return;
    if (await this.options.files.fetch(request.via.destination)) return;
    await this.ensure(request.via);
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
