import path from 'node:path';
import type { Config } from '../config.ts';
import { importFolder } from '../processing/folder-import.ts';
import type { IngestOutcome } from '../processing/ingest.ts';
import { openStore } from './open-store.ts';

export interface ImportArgs {
  dir: string;
  album?: string;
  public: boolean;
  concurrency: number;
}

function describeOutcome(outcome: IngestOutcome): string {
  switch (outcome.kind) {
    case 'imported':
      return `imported as ${outcome.publicId}`;
    case 'duplicate':
      return `already imported as ${outcome.publicId}`;
    case 'unsupported':
      return `skipped: ${outcome.reason}`;
    case 'failed':
      return `FAILED: ${outcome.reason}`;
  }
}

/** `lightbox import <dir>`: returns the exit code (1 when any image failed to import). */
export async function importCommand(config: Config, args: ImportArgs): Promise<number> {
  const { layout, database } = await openStore(config);
  const out = process.stdout;
  try {
    const root = path.resolve(args.dir);
    let done = 0;
    const summary = await importFolder({ db: database.db, layout }, root, {
      album: args.album,
      visibility: args.public ? 'PUBLIC' : 'PRIVATE',
      concurrency: args.concurrency,
      onResult: (file, outcome) => {
        done++;
        out.write(`[${done}] ${path.relative(root, file) || file}: ${describeOutcome(outcome)}\n`);
      },
    });
    if (summary.files === 0) {
      out.write(`No files found in ${root}: nothing to import.\n`);
      return 0;
    }
    out.write(
      `\nDone: ${summary.imported} imported, ${summary.duplicates} already there, ` +
        `${summary.unsupported} skipped (not images), ${summary.failed.length} failed, of ${summary.files} files.\n`,
    );
    for (const failure of summary.failed) out.write(`  failed: ${path.relative(root, failure.file)}: ${failure.reason}\n`);
    if (summary.imported + summary.duplicates > 0 && !args.public) {
      out.write('Albums are private: they show in GraphQL with the admin token. Re-run with --public to publish them.\n');
    }
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    database.close();
  }
}
