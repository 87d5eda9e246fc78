import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { StorageLayout } from './layout.ts';

export interface SweepResult {
  originals: number;
  derived: number;
}

const DERIVED_NAME = /^[a-z]+\.v(\d+)\.[a-z0-9]+$/;

async function olderThan(file: string, cutoffMs: number): Promise<boolean> {
  const stats = await stat(file).catch(() => undefined);
  return stats !== undefined && stats.mtimeMs < cutoffMs;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/**
 * Removes files no row refers to: originals of deleted photos, renditions of deleted photos
 * and of versions superseded by a reprocess. Only files older than `minAgeMs` go, so an import
 * running beside us (file written, row about to be) is never robbed of its original.
 */
export async function sweepOrphanFiles(layout: StorageLayout, sqlite: Database.Database, minAgeMs = 60 * 60 * 1000): Promise<SweepResult> {
  const cutoff = Date.now() - minAgeMs;
  const hashKnown = sqlite.prepare<[string], { found: number }>('SELECT 1 AS found FROM photos WHERE content_hash = ?');
  const versionOf = sqlite.prepare<[string], { version: number }>('SELECT version FROM photos WHERE public_id = ?');
  const result: SweepResult = { originals: 0, derived: 0 };

  for (const first of await entries(layout.originalsDir)) {
    for (const second of await entries(path.join(layout.originalsDir, first))) {
      const dir = path.join(layout.originalsDir, first, second);
      for (const name of await entries(dir)) {
        const hash = name.split('.')[0] ?? '';
        const file = path.join(dir, name);
        if (hashKnown.get(hash) === undefined && (await olderThan(file, cutoff))) {
          await rm(file, { force: true });
          result.originals++;
        }
      }
    }
  }

  for (const shard of await entries(layout.derivedDir)) {
    for (const publicId of await entries(path.join(layout.derivedDir, shard))) {
      const dir = path.join(layout.derivedDir, shard, publicId);
      const row = versionOf.get(publicId);
      if (row === undefined) {
        if (await olderThan(dir, cutoff)) {
          result.derived += (await entries(dir)).length;
          await rm(dir, { recursive: true, force: true });
        }
        continue;
      }
      for (const name of await entries(dir)) {
        const version = DERIVED_NAME.exec(name)?.[1];
        if (version !== undefined && Number(version) !== row.version) {
          await rm(path.join(dir, name), { force: true });
          result.derived++;
        }
      }
    }
  }
  return result;
}
