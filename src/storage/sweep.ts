import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { StorageLayout } from './layout.ts';

export interface SweepResult {
  originals: number;
  derived: number;
}

/**
 * Removes files no row refers to: originals of deleted photos, renditions of deleted photos
 * and of versions superseded by a reprocess. Only files older than `minAgeMs` go, so an import
 * running beside us (file written, row about to be) is never robbed of its original.
 *
 * The walk visits every stored file with a lookup each: at 100,000 photos that is seconds of
 * work (tens with cold caches), so it runs on a worker thread (sweep-worker.js) with its own
 * read-only connection to `sqlite`'s file, and the server's event loop only waits for the answer.
 */
export function sweepOrphanFiles(layout: StorageLayout, sqlite: Database.Database, minAgeMs = 60 * 60 * 1000): Promise<SweepResult> {
  const worker = new Worker(new URL('./sweep-worker.js', import.meta.url), {
    workerData: {
      databaseFile: sqlite.name,
      originalsDir: layout.originalsDir,
      derivedDir: layout.derivedDir,
      cutoff: Date.now() - minAgeMs,
    },
  });
  return new Promise((resolve, reject) => {
    let result: SweepResult | undefined;
    worker.once('message', (answer: SweepResult) => {
      result = answer;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`the orphan sweep stopped with exit code ${code} before it finished`));
    });
  });
}
