// The orphan sweep's walk, on a worker thread (sweep.ts starts it): every stored file and a
// database lookup for each is work proportional to the library, which must never run on the
// server's event loop. Plain JavaScript: worker threads do not inherit the tsx loader the main
// thread runs under. It reads the database through a read-only connection of its own.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (parentPort === null) throw new Error('sweep-worker.js runs as a worker thread');

const DERIVED_NAME = /^[a-z]+\.v(\d+)\.[a-z0-9]+$/;

function olderThan(file, cutoffMs) {
  try {
    return statSync(file).mtimeMs < cutoffMs;
  } catch {
    return false;
  }
}

function entries(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sweepOriginals(originalsDir, hashKnown, cutoff) {
  let removed = 0;
  for (const first of entries(originalsDir)) {
    for (const second of entries(path.join(originalsDir, first))) {
      const dir = path.join(originalsDir, first, second);
      for (const name of entries(dir)) {
        const file = path.join(dir, name);
        if (hashKnown.get(name.split('.')[0] ?? '') === undefined && olderThan(file, cutoff)) {
          rmSync(file, { force: true });
          removed++;
        }
      }
    }
  }
  return removed;
}

/** Renditions of deleted photos (the folder, once old enough) and of versions a reprocess superseded. */
function sweepDerived(derivedDir, versionOf, cutoff) {
  let removed = 0;
  for (const shard of entries(derivedDir)) {
    for (const publicId of entries(path.join(derivedDir, shard))) {
      const dir = path.join(derivedDir, shard, publicId);
      const row = versionOf.get(publicId);
      if (row === undefined) {
        if (olderThan(dir, cutoff)) {
          removed += entries(dir).length;
          rmSync(dir, { recursive: true, force: true });
        }
        continue;
      }
      for (const name of entries(dir)) {
        const version = DERIVED_NAME.exec(name)?.[1];
        if (version !== undefined && Number(version) !== row.version) {
          rmSync(path.join(dir, name), { force: true });
          removed++;
        }
      }
    }
  }
  return removed;
}

const { databaseFile, originalsDir, derivedDir, cutoff } = workerData;
const sqlite = new Database(databaseFile, { readonly: true, fileMustExist: true });
try {
  sqlite.pragma('busy_timeout = 5000');
  const hashKnown = sqlite.prepare('SELECT 1 AS found FROM photos WHERE content_hash = ?');
  const versionOf = sqlite.prepare('SELECT version FROM photos WHERE public_id = ?');
  const originals = sweepOriginals(originalsDir, hashKnown, cutoff);
  const derived = sweepDerived(derivedDir, versionOf, cutoff);
  parentPort.postMessage({ originals, derived });
} finally {
  sqlite.close();
}
