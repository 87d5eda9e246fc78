import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DecodeLimits } from './limits.ts';

/**
 * The primary image of a HEIF file, as displayed: 8-bit RGB, or RGBA when it has transparency,
 * as an uncompressed TIFF carrying the file's ICC profile when it has one (sharp converts it to
 * sRGB through it: an iPhone's Display P3 is not relabelled as sRGB).
 */
export interface DecodedHeif {
  width: number;
  height: number;
  channels: 3 | 4;
  tiff: Buffer;
}

export class HeifDecodeError extends Error {}

interface Task {
  id: number;
  op: 'info' | 'decode';
  file: string;
  maxPixels: number;
  icc: Uint8Array | undefined;
  timeoutMs: number;
  resolve(value: WorkerAnswer): void;
  reject(error: Error): void;
}

type WorkerAnswer =
  | { id: number; ok: true; width: number; height: number; channels?: 3 | 4; tiff?: Uint8Array }
  | { id: number; ok: false; message: string };

interface Thread {
  worker: Worker;
  task: Task | undefined;
  decodes: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Decodes on one thread before it is replaced: WebAssembly memory grows to the largest image and never shrinks. */
const DECODES_PER_THREAD = 8;
/** An idle thread is let go after this long, with its memory. */
const IDLE_MS = 30_000;

/**
 * HEIF decoding on worker threads: libheif's WebAssembly is CPU-heavy and synchronous, so it never
 * runs on the thread that answers requests. At most `threads` decode at once; the rest wait in
 * order (the render queue and the photo worker bound how many can wait). A decode past its time
 * limit ends its thread.
 */
export class HeifDecoderPool {
  private readonly threads = new Set<Thread>();
  private readonly waiting: Task[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly maxThreads: number = Math.max(1, Math.min(2, availableParallelism() - 1))) {}

  /** Size as displayed, from the file's header: no pixel is decoded. */
  async info(file: string, limits: Pick<DecodeLimits, 'maxPixels'>): Promise<{ width: number; height: number }> {
    const answer = await this.run('info', file, limits.maxPixels, 30_000, undefined);
    return { width: answer.width, height: answer.height };
  }

  /** `iccProfile`: the colour space the pixels are in (see heif-boxes.ts), written into the TIFF. */
  async decode(file: string, limits: DecodeLimits, iccProfile?: Buffer): Promise<DecodedHeif> {
    const answer = await this.run('decode', file, limits.maxPixels, limits.timeoutSeconds * 1000, iccProfile);
    if (answer.tiff === undefined || answer.channels === undefined) throw new HeifDecodeError('the HEIF decoder answered without pixels');
    return {
      width: answer.width,
      height: answer.height,
      channels: answer.channels,
      tiff: Buffer.from(answer.tiff.buffer, answer.tiff.byteOffset, answer.tiff.byteLength),
    };
  }

  /** Ends every thread; decodes in progress fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new HeifDecodeError('the HEIF decoder was closed'));
    await Promise.all([...this.threads].map((thread) => this.retire(thread)));
  }

  private run(
    op: Task['op'],
    file: string,
    maxPixels: number,
    timeoutMs: number,
    icc: Uint8Array | undefined,
  ): Promise<Extract<WorkerAnswer, { ok: true }>> {
    if (this.closed) return Promise.reject(new HeifDecodeError('the HEIF decoder was closed'));
    return new Promise<WorkerAnswer>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, op, file, maxPixels, icc, timeoutMs, resolve, reject });
      this.dispatch();
    }).then((answer) => {
      if (!answer.ok) throw new HeifDecodeError(answer.message);
      return answer;
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const thread = [...this.threads].find((candidate) => candidate.task === undefined) ?? this.spawn();
      if (thread === undefined) return;
      this.start(thread, this.waiting.shift() as Task);
    }
  }

  private spawn(): Thread | undefined {
    if (this.threads.size >= this.maxThreads) return undefined;
    const worker = new Worker(new URL('./heif-worker.js', import.meta.url));
    const thread: Thread = { worker, task: undefined, decodes: 0, idleTimer: undefined };
    worker.on('message', (answer: WorkerAnswer) => this.finish(thread, answer));
    worker.on('error', (error) => this.fail(thread, new HeifDecodeError(`the HEIF decoder failed: ${error.message}`)));
    worker.on('exit', () => {
      this.fail(thread, new HeifDecodeError('the HEIF decoder stopped unexpectedly'));
      this.threads.delete(thread);
      this.dispatch();
    });
    this.threads.add(thread);
    return thread;
  }

  private start(thread: Thread, task: Task): void {
    clearTimeout(thread.idleTimer);
    thread.task = task;
    // Held open while it works (an import waits on it), let go while idle.
    thread.worker.ref();
    const timer = setTimeout(() => {
      this.fail(thread, new HeifDecodeError(`decoding took longer than ${Math.round(task.timeoutMs / 1000)} s`));
      void this.retire(thread);
    }, task.timeoutMs);
    timer.unref();
    const settle = task.resolve;
    task.resolve = (answer) => {
      clearTimeout(timer);
      settle(answer);
    };
    const reject = task.reject;
    task.reject = (error) => {
      clearTimeout(timer);
      reject(error);
    };
    thread.worker.postMessage({ id: task.id, op: task.op, file: task.file, maxPixels: task.maxPixels, icc: task.icc });
  }

  private finish(thread: Thread, answer: WorkerAnswer): void {
    const task = thread.task;
    if (task === undefined || task.id !== answer.id) return;
    thread.task = undefined;
    if (task.op === 'decode') thread.decodes++;
    task.resolve(answer);
    if (thread.decodes >= DECODES_PER_THREAD) void this.retire(thread);
    else {
      thread.worker.unref();
      thread.idleTimer = setTimeout(() => void this.retire(thread), IDLE_MS);
      thread.idleTimer.unref();
    }
    this.dispatch();
  }

  private fail(thread: Thread, error: Error): void {
    const task = thread.task;
    thread.task = undefined;
    task?.reject(error);
  }

  private async retire(thread: Thread): Promise<void> {
    clearTimeout(thread.idleTimer);
    this.threads.delete(thread);
    await thread.worker.terminate();
    this.dispatch();
  }
}

/**
 * The process's one pool: the render queue and the photo worker share it, so together they
 * never decode more HEIF at once than it allows.
 */
export const heifDecoders = new HeifDecoderPool();
