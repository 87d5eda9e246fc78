import path from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Config } from '../config.ts';
import { importFolder } from '../processing/folder-import.ts';
import type { IngestOutcome } from '../processing/ingest.ts';
import { openStore } from '../storage/open-store.ts';
import { photoGlobalId } from './ids.ts';
import { libraryNotice, WITH_INIT } from './library-notice.ts';

export interface ImportArgs {
  dir: string;
  album?: string;
  public: boolean;
  concurrency: number;
  /** Make a new library when the data dir has none. */
  init: boolean;
}

/** What a person can paste: the id GraphQL takes and, when anyone may load it, the image's path. */
function pasteable(publicId: string, isPublic: boolean): string {
  return isPublic ? `${photoGlobalId(publicId)} (image: /images/${publicId}/original)` : photoGlobalId(publicId);
}

function describeOutcome(outcome: IngestOutcome, isPublic: boolean): string {
  switch (outcome.kind) {
    case 'imported':
      return `imported as ${pasteable(outcome.publicId, isPublic)}`;
    case 'duplicate':
      return `already imported as ${pasteable(outcome.publicId, isPublic)}`;
    case 'unsupported':
      return `skipped: ${outcome.reason}`;
    case 'failed':
      return `FAILED: ${outcome.reason}`;
  }
}

/**
 * A live bar on a terminal (done / total, rate, ETA), with skipped and failed files printed
 * above it; piped output gets one plain line per file instead.
 */
class ImportProgress {
  private readonly bars = new MultiBar(
    { format: '{bar} {value}/{total} files | {rate} files/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50, fps: 10 },
    Presets.shades_classic,
  );
  private bar: SingleBar | undefined;
  private started = 0;
  private done = 0;

  start(total: number): void {
    if (total === 0) return;
    this.started = performance.now();
    this.bar = this.bars.create(total, 0, { rate: '0.0' });
  }

  advance(note?: string): void {
    this.done++;
    if (note !== undefined) this.bars.log(note);
    const seconds = (performance.now() - this.started) / 1000;
    this.bar?.update(this.done, { rate: (this.done / Math.max(seconds, 0.001)).toFixed(1) });
  }

  stop(): void {
    this.bars.stop();
  }
}

/** `lightbox import <dir>`: returns the exit code (1 when any image failed to import). */
export async function importCommand(config: Config, args: ImportArgs): Promise<number> {
  const store = await openStore(config, { create: args.init, missingHint: WITH_INIT, checkBucket: true });
  const { layout, database, files } = store;
  const out = process.stdout;
  try {
    out.write(libraryNotice(store, 'Importing into'));
    const root = path.resolve(args.dir);
    let done = 0;
    const progress = out.isTTY ? new ImportProgress() : undefined;
    const summary = await importFolder({ db: database.db, layout, files }, root, {
      album: args.album,
      visibility: args.public ? 'PUBLIC' : 'PRIVATE',
      concurrency: args.concurrency,
      onStart: (files) => progress?.start(files),
      onResult: (file, outcome) => {
        done++;
        const line = `[${done}] ${path.relative(root, file) || file}: ${describeOutcome(outcome, args.public)}\n`;
        if (progress === undefined) out.write(line);
        else progress.advance(outcome.kind === 'unsupported' || outcome.kind === 'failed' ? line : undefined);
      },
    });
    progress?.stop();
    if (summary.files === 0) {
      out.write(`No files found in ${root}: nothing to import.\n`);
      return 0;
    }
    out.write(
      `\nDone: ${summary.imported} imported, ${summary.duplicates} already there, ` +
        `${summary.unsupported} skipped (not images), ${summary.failed.length} failed, of ${summary.files} files.\n`,
    );
    for (const failure of summary.failed) out.write(`  failed: ${path.relative(root, failure.file)}: ${failure.reason}\n`);
    for (const title of summary.published) out.write(`Published album "${title}" (it was private).\n`);
    if (summary.imported + summary.duplicates > 0 && !args.public) {
      out.write(
        'Albums are private: they show in GraphQL with the admin token. To publish one: ' +
          '`lightbox album publish <title>` (or re-run this import with --public).\n',
      );
    }
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}
