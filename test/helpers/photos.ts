import path from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { StorageLayout } from '../../src/storage/layout.ts';
import type { TestServer } from './server.ts';

export interface StoredPhoto {
  publicId: string;
  version: number;
  /** What its image URLs carry as `?v=`: the version and the URL key. */
  v: string;
  /** The original's path in the data dir. */
  file: string;
}

/** Reads a photo's row by the file name it was imported from, straight from the database. */
export function storedPhoto(dataDir: string, filename: string): StoredPhoto {
  const handle = openDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true });
  try {
    const row = handle.sqlite
      .prepare<[string], { public_id: string; version: number; url_key: string; content_hash: string; original_extension: string }>(
        'SELECT public_id, version, url_key, content_hash, original_extension FROM photos WHERE original_filename = ?',
      )
      .get(filename);
    if (row === undefined) throw new Error(`no photo imported from ${filename}`);
    return {
      publicId: row.public_id,
      version: row.version,
      v: `${row.version}.${row.url_key}`,
      file: new StorageLayout(dataDir).originalPath(row.content_hash, row.original_extension),
    };
  } finally {
    handle.close();
  }
}

/** How many photos are in each state (PENDING, PROCESSING, READY, FAILED), straight from the database. */
export function photoStatuses(dataDir: string): Record<string, number> {
  const handle = openDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true });
  try {
    const rows = handle.sqlite.prepare('SELECT status, count(*) AS n FROM photos GROUP BY status').all() as { status: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  } finally {
    handle.close();
  }
}

/** Waits until no photo is PENDING or PROCESSING (the server's worker has had its say on each), asking after each job it settles. */
export async function processingSettled(server: TestServer, timeoutMs = 180_000): Promise<Record<string, number>> {
  let now = photoStatuses(server.dataDir);
  await server.afterJobs(
    () => {
      now = photoStatuses(server.dataDir);
      return !now.PENDING && !now.PROCESSING;
    },
    () => `processing to finish: ${JSON.stringify(now)}`,
    timeoutMs,
  );
  return now;
}
