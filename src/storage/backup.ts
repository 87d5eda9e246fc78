import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openDatabase } from '../db/client.ts';
import { LightboxError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { commitTempFile, writeFileAtomic } from './atomic.ts';
import { StorageLayout } from './layout.ts';
import type { Store } from './open-store.ts';

/**
 * A backup folder is laid out like a data dir (lightbox.db, originals/ab/cd/<sha256>.<ext>,
 * secret, admin-token) plus manifest.json, so it can be read without Lightbox. Renditions are
 * left out: they are made again from the originals.
 */
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_FORMAT = 1;

export interface ManifestOriginal {
  /** Relative to the backup folder, with forward slashes. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: number;
  createdAt: string;
  lightboxVersion: string;
  counts: { photos: number; albums: number; originals: number; bytes: number };
  originals: ManifestOriginal[];
}

interface OriginalRow {
  content_hash: string;
  original_extension: string;
  byte_size: number;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/** Every file under `dir`, relative to it; none when it does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/**
 * Puts `source` at `destination`: a hard link when both are on one file system (no bytes
 * copied, and originals are never modified in place), else a copy through a temp file, so an
 * interrupted backup never leaves half a file under an original's name.
 */
async function linkOrCopy(source: string, destination: string, tempDir: string): Promise<'linked' | 'copied'> {
  await mkdir(path.dirname(destination), { recursive: true, mode: 0o700 });
  try {
    await link(source, destination);
    return 'linked';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'linked';
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
  }
  const temp = path.join(tempDir, `${path.basename(destination)}.${process.pid}.part`);
  await copyFile(source, temp);
  await commitTempFile(temp, destination);
  return 'copied';
}

function originalsIn(sqlite: ReturnType<typeof openDatabase>['sqlite']): OriginalRow[] {
  return sqlite.prepare('SELECT content_hash, original_extension, byte_size FROM photos ORDER BY content_hash').all() as OriginalRow[];
}

/**
 * The private files a restored server needs (signed URLs and cursors keep working, the token
 * stays the same), from one data-dir-shaped folder to another, through `tempDir`.
 */
async function copySecrets(from: StorageLayout, to: StorageLayout, tempDir: string): Promise<void> {
  for (const pick of [(layout: StorageLayout) => layout.secretFile, (layout: StorageLayout) => layout.adminTokenFile]) {
    if (await exists(pick(from))) await writeFileAtomic(tempDir, pick(to), await readFile(pick(from)), 0o600);
  }
}

function relativeOriginal(layout: StorageLayout, row: OriginalRow): string {
  return path.relative(layout.dataDir, layout.originalPath(row.content_hash, row.original_extension));
}

export interface BackupReport {
  photos: number;
  albums: number;
  bytes: number;
  /** Originals this run put into the backup (the rest were there from an earlier one). */
  added: { linked: number; copied: number };
  /** Photos whose original vanished between the snapshot and the copy (deleted meanwhile). */
  missing: string[];
}

/**
 * A complete, consistent snapshot of a running library in `target`. Originals present now are
 * linked or copied first; then the database is copied through SQLite's online backup; then any
 * original a row of that snapshot names and the backup lacks (imported meanwhile: a file is
 * always stored before its row) is added. So every row of the snapshot has its original. A
 * second backup into the same folder adds only what is new.
 */
export async function backupLibrary(store: Store, target: string): Promise<BackupReport> {
  const backupDir = path.resolve(target);
  const backup = new StorageLayout(backupDir);
  const existing = await stat(backupDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) throw new LightboxError('USAGE', `${backupDir} is a file; name a folder`);
  if (existing !== undefined && !(await exists(path.join(backupDir, MANIFEST_FILE))) && (await readdir(backupDir)).length > 0) {
    throw new LightboxError('USAGE', `${backupDir} is not empty and holds no Lightbox backup; name a new or empty folder`);
  }
  if (existing === undefined && !(await exists(path.dirname(backupDir)))) {
    throw new LightboxError('USAGE', `the folder ${path.dirname(backupDir)} does not exist; create it first`);
  }
  await mkdir(backup.tempDir, { recursive: true, mode: 0o700 });
  const added = { linked: 0, copied: 0 };
  const { layout, database } = store;

  for (const relative of await filesUnder(layout.originalsDir)) {
    const destination = path.join(backup.originalsDir, relative);
    if (await exists(destination)) continue;
    added[await linkOrCopy(path.join(layout.originalsDir, relative), destination, backup.tempDir)]++;
  }

  const snapshotTemp = path.join(backup.tempDir, `lightbox.db.${process.pid}.part`);
  await rm(snapshotTemp, { force: true });
  await database.sqlite.backup(snapshotTemp);
  const snapshot = openDatabase(snapshotTemp, { readonly: true });
  let rows: OriginalRow[];
  let albums: number;
  try {
    rows = originalsIn(snapshot.sqlite);
    albums = (snapshot.sqlite.prepare('SELECT count(*) AS n FROM albums').get() as { n: number }).n;
  } finally {
    snapshot.close();
  }
  await commitTempFile(snapshotTemp, backup.databaseFile);

  const missing: string[] = [];
  const originals: ManifestOriginal[] = [];
  for (const row of rows) {
    const relative = relativeOriginal(layout, row);
    const destination = path.join(backupDir, relative);
    if (!(await exists(destination))) {
      const source = path.join(layout.dataDir, relative);
      if (await exists(source)) added[await linkOrCopy(source, destination, backup.tempDir)]++;
      else missing.push(relative);
    }
    originals.push({ path: relative.split(path.sep).join('/'), sha256: row.content_hash, bytes: row.byte_size });
  }

  await copySecrets(layout, backup, backup.tempDir);
  const bytes = originals.reduce((sum, original) => sum + original.bytes, 0);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    createdAt: new Date().toISOString(),
    lightboxVersion: VERSION,
    counts: { photos: rows.length, albums, originals: originals.length, bytes },
    originals,
  };
  await writeFileAtomic(backup.tempDir, path.join(backupDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  await rm(backup.tempDir, { recursive: true, force: true });
  return { photos: rows.length, albums, bytes, added, missing };
}

export interface Problem {
  file: string;
  problem: string;
}

async function checkOriginal(file: string, sha256: string, bytes: number): Promise<string | undefined> {
  const found = await stat(file).catch(() => undefined);
  if (found === undefined) return 'missing';
  if (found.size !== bytes) return `${found.size} bytes, expected ${bytes}`;
  if ((await sha256OfFile(file)) !== sha256) return 'damaged: its SHA-256 does not match';
  return undefined;
}

export async function readManifest(backupDir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(backupDir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new LightboxError('USAGE', `${backupDir} holds no ${MANIFEST_FILE}: not a Lightbox backup`);
  }
  const manifest = JSON.parse(text) as Manifest;
  if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.originals)) {
    throw new LightboxError('USAGE', `${backupDir}/${MANIFEST_FILE} is not a backup manifest this Lightbox reads`);
  }
  return manifest;
}

/** Everything wrong with a backup: the database, and every original against its size and SHA-256. */
export async function checkBackup(backupDir: string, manifest: Manifest): Promise<Problem[]> {
  const problems: Problem[] = [];
  try {
    const copy = openDatabase(new StorageLayout(backupDir).databaseFile, { readonly: true });
    try {
      const integrity = copy.sqlite.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push({ file: 'lightbox.db', problem: `integrity check: ${String(integrity)}` });
      const rows = originalsIn(copy.sqlite).length;
      if (rows !== manifest.counts.photos)
        problems.push({ file: 'lightbox.db', problem: `${rows} photos, the manifest says ${manifest.counts.photos}` });
    } finally {
      copy.close();
    }
  } catch (error) {
    problems.push({ file: 'lightbox.db', problem: `cannot be read: ${(error as Error).message}` });
  }
  for (const original of manifest.originals) {
    const problem = await checkOriginal(path.join(backupDir, original.path), original.sha256, original.bytes);
    if (problem !== undefined) problems.push({ file: original.path, problem });
  }
  return problems;
}

/**
 * Restores a checked backup into `dataDir`, which must not exist or be empty. Nothing is
 * written there unless the whole backup checks out; the files are assembled beside it and
 * renamed into place, so a failure leaves no half-restored library.
 */
export async function restoreLibrary(backupDir: string, dataDir: string): Promise<{ manifest: Manifest; problems: Problem[] }> {
  const manifest = await readManifest(backupDir);
  const target = await stat(dataDir).catch(() => undefined);
  if (target !== undefined && (!target.isDirectory() || (await readdir(dataDir)).length > 0)) {
    throw new LightboxError('USAGE', `${dataDir} is not empty: restore into a new or empty data dir (LIGHTBOX_DATA_DIR)`);
  }
  const problems = await checkBackup(backupDir, manifest);
  if (problems.length > 0) return { manifest, problems };

  const backup = new StorageLayout(backupDir);
  const staging = `${dataDir}.restoring-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const layout = new StorageLayout(staging);
  try {
    await mkdir(layout.tempDir, { recursive: true, mode: 0o700 });
    await copyFile(backup.databaseFile, layout.databaseFile);
    for (const original of manifest.originals) {
      const destination = path.join(staging, original.path);
      await mkdir(path.dirname(destination), { recursive: true, mode: 0o700 });
      await copyFile(path.join(backupDir, original.path), destination);
    }
    await copySecrets(backup, layout, layout.tempDir);
    if (target !== undefined) await rm(dataDir, { recursive: true });
    await mkdir(path.dirname(dataDir), { recursive: true });
    await rename(staging, dataDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { manifest, problems };
}

export interface LibraryCheck {
  photos: number;
  bytes: number;
  problems: Problem[];
  /** Files under originals/ no photo refers to. */
  orphans: string[];
}

/** `lightbox verify`: every photo has its original, intact; no original is left without its photo. */
export async function checkLibrary(store: Store): Promise<LibraryCheck> {
  const { layout, database } = store;
  const rows = originalsIn(database.sqlite);
  const problems: Problem[] = [];
  const referenced = new Set<string>();
  let bytes = 0;
  for (const row of rows) {
    const relative = relativeOriginal(layout, row);
    referenced.add(relative);
    bytes += row.byte_size;
    const problem = await checkOriginal(path.join(layout.dataDir, relative), row.content_hash, row.byte_size);
    if (problem !== undefined) problems.push({ file: relative, problem });
  }
  const integrity = database.sqlite.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.push({ file: 'lightbox.db', problem: `integrity check: ${String(integrity)}` });
  const orphans = (await filesUnder(layout.originalsDir))
    .map((file) => path.relative(layout.dataDir, path.join(layout.originalsDir, file)))
    .filter((file) => !referenced.has(file));
  return { photos: rows.length, bytes, problems, orphans };
}
