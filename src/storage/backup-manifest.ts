import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { LightboxError } from '../errors.ts';

/**
 * manifest.json of a backup folder: which snapshot is current and, last, every original it
 * holds (path, SHA-256, size), one per line, sorted by SHA-256. It is read and written a line at
 * a time, so a backup, verify or restore of any size holds one original in memory, never the
 * list; it is still plain JSON, readable without Lightbox. An older Lightbox wrote the same
 * document through JSON.stringify(…, null, 2) (an original over five lines): read the same way.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 2;
/** Where format 1 kept the snapshot: at the top of the backup folder. */
export const TOP_LEVEL = '.';

const SNAPSHOT_PATH = /^snapshots\/[0-9A-Za-z-]+$/;
const ORIGINAL_PATH = /^originals\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})\.[a-z0-9]{2,5}$/;
const ORIGINALS_OPENING = /^\s*"originals":\s*\[\s*(\]\s*)?$/;
const ORIGINALS_CLOSING = /^\s*\]\s*$/;

export interface ManifestOriginal {
  /** Relative to the backup folder, with forward slashes. */
  path: string;
  sha256: string;
  bytes: number;
}

/** Everything manifest.json says but the originals, which are streamed (manifestOriginals). */
export interface Manifest {
  format: number;
  createdAt: string;
  lightboxVersion: string;
  /** The folder, relative to the backup folder, holding lightbox.db and the secrets ('.' in format 1). */
  snapshot: string;
  /** The snapshot this one replaced, kept until the next run so a restore already reading it can finish. */
  previousSnapshot?: string;
  counts: { photos: number; albums: number; originals: number; bytes: number };
}

function notAManifest(backupDir: string, why: string): LightboxError {
  return new LightboxError('USAGE', `${backupDir}/${MANIFEST_FILE} is not a backup manifest this Lightbox reads (${why})`);
}

function validSnapshot(value: unknown): boolean {
  return typeof value === 'string' && (value === TOP_LEVEL || SNAPSHOT_PATH.test(value));
}

/** Checks what a manifest names before anything is read through it: no path may lead out of the backup folder. */
function validHeader(backupDir: string, parsed: unknown): Manifest {
  const manifest = parsed as (Partial<Manifest> & { originals?: unknown }) | null;
  if (typeof manifest !== 'object' || manifest === null) throw notAManifest(backupDir, 'not a JSON object');
  if (manifest.format !== 1 && manifest.format !== MANIFEST_FORMAT) throw notAManifest(backupDir, `format ${String(manifest.format)}`);
  const snapshot = manifest.format === 1 ? TOP_LEVEL : manifest.snapshot;
  if (!validSnapshot(snapshot)) throw notAManifest(backupDir, `snapshot ${JSON.stringify(snapshot)}`);
  if (!Array.isArray(manifest.originals) || typeof manifest.counts !== 'object' || manifest.counts === null) {
    throw notAManifest(backupDir, 'no originals or counts');
  }
  const previous = manifest.previousSnapshot;
  if (previous !== undefined && !validSnapshot(previous)) throw notAManifest(backupDir, `previous snapshot ${JSON.stringify(previous)}`);
  const { originals: _streamed, ...header } = manifest;
  return { ...(header as Manifest), snapshot: snapshot as string };
}

function validOriginal(backupDir: string, original: unknown): ManifestOriginal {
  const { path: file, sha256, bytes } = (original ?? {}) as Partial<ManifestOriginal>;
  const hash = typeof file === 'string' ? ORIGINAL_PATH.exec(file)?.[1] : undefined;
  if (hash === undefined || hash !== sha256 || !Number.isSafeInteger(bytes) || (bytes as number) < 0) {
    throw notAManifest(backupDir, `original ${JSON.stringify(original)}`);
  }
  return { path: file as string, sha256, bytes: bytes as number };
}

function parsed(backupDir: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw notAManifest(backupDir, `not JSON: ${(error as Error).message}`);
  }
}

/** The manifest's lines in order, read a chunk at a time. */
function manifestLines(backupDir: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path.join(backupDir, MANIFEST_FILE), 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
}

/**
 * The manifest in its parts: the header (everything before the originals) and the originals'
 * text, one original at a time. Undefined when the document is not laid out a line per field or
 * per original (written by something else): the caller then parses it whole.
 */
async function* manifestParts(backupDir: string): AsyncGenerator<{ header: string } | { original: string }, boolean> {
  let header = '';
  let pending = '';
  let inOriginals = false;
  for await (const line of manifestLines(backupDir)) {
    if (!inOriginals) {
      const opening = ORIGINALS_OPENING.exec(line);
      if (opening === null) {
        header += `${line}\n`;
        continue;
      }
      yield { header: `${header}"originals": []\n}` };
      if (opening[1] !== undefined) return true;
      inOriginals = true;
      continue;
    }
    if (ORIGINALS_CLOSING.test(line)) return pending.trim() === '';
    pending += line;
    // No original holds a nested object: a line ending its object ends the original.
    if (/}\s*,?\s*$/.test(line)) {
      yield { original: pending.trim().replace(/,$/, '') };
      pending = '';
    }
  }
  return false;
}

/** The header, read up to the originals (which may be many: they are not read). */
async function streamedHeader(backupDir: string): Promise<Manifest | undefined> {
  for await (const part of manifestParts(backupDir)) {
    if ('header' in part) return validHeader(backupDir, parsed(backupDir, part.header));
    return undefined;
  }
  return undefined;
}

async function manifestText(backupDir: string): Promise<string> {
  return readFile(path.join(backupDir, MANIFEST_FILE), 'utf8');
}

/** The manifest's header; fails when the file is not a manifest this Lightbox reads (unreadable is the caller's to explain). */
export async function readManifestHeader(backupDir: string): Promise<Manifest> {
  const header = await streamedHeader(backupDir).catch((error: unknown) => {
    if (error instanceof LightboxError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    return undefined;
  });
  return header ?? validHeader(backupDir, parsed(backupDir, await manifestText(backupDir)));
}

/**
 * Every original the manifest names, checked as it is read (a path leading out of the backup
 * folder fails before anyone opens it), in the manifest's order.
 */
export async function* manifestOriginals(backupDir: string): AsyncGenerator<ManifestOriginal> {
  const parts = manifestParts(backupDir);
  let streamed = 0;
  let step = await parts.next();
  while (step.done !== true) {
    if ('original' in step.value) {
      streamed++;
      yield validOriginal(backupDir, parsed(backupDir, step.value.original));
    }
    step = await parts.next();
  }
  if (step.value) return;
  // Not laid out a line per original: the whole document, as an older or foreign writer made it.
  const whole = parsed(backupDir, await manifestText(backupDir)) as { originals?: unknown };
  validHeader(backupDir, whole);
  // What was streamed before the layout turned out foreign came first in the document: not handed out twice.
  for (const original of (whole.originals as unknown[]).slice(streamed)) yield validOriginal(backupDir, original);
}

/**
 * Writes a manifest a line at a time: the header, then each original as it is added, then the
 * end. Nothing is in place until the caller commits the file it wrote (the backup's switch).
 */
export class ManifestWriter {
  private readonly out: WriteStream;
  private first = true;
  private failure: Error | undefined;

  constructor(file: string, header: Manifest) {
    this.out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    this.out.on('error', (error) => {
      this.failure = error;
    });
    const opening = JSON.stringify(header, null, 2).replace(/\n}$/, ',\n  "originals": [\n');
    this.out.write(opening);
  }

  async add(original: ManifestOriginal): Promise<void> {
    const line = `${this.first ? '' : ',\n'}    ${JSON.stringify(original)}`;
    this.first = false;
    if (!this.out.write(line)) await this.drained();
  }

  async finish(): Promise<void> {
    const closing = `${this.first ? '' : '\n'}  ]\n}\n`;
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(closing, () => (this.failure === undefined ? resolve() : reject(this.failure)));
    });
  }

  /** Lets go of the file unfinished (the run did not switch): the caller removes it. */
  async abandon(): Promise<void> {
    if (this.out.closed) return;
    await new Promise<void>((resolve) => this.out.destroy().once('close', () => resolve()));
  }

  private drained(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      this.out.once('error', fail);
      this.out.once('drain', () => {
        this.out.off('error', fail);
        resolve();
      });
    });
  }
}
