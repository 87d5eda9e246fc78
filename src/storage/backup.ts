import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { chmod, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { openDatabase } from '../db/client.ts';
import { LightboxError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { commitTempFile, fsyncDirectory, fsyncFile, HOST_TAG, writeFileAtomic } from './atomic.ts';
import { staleTempFiles } from './data-dir.ts';
import { isProcessAlive } from './data-dir-lock.ts';
import { StorageLayout } from './layout.ts';
import type { Store } from './open-store.ts';

/**
 * A backup folder (format 2), readable without Lightbox:
 *
 *   manifest.json                    names the current snapshot; counts; every original's size and SHA-256
 *   originals/ab/cd/<sha256>.<ext>   laid out as in a data dir, shared by every snapshot, only ever added to
 *   snapshots/<id>/                  lightbox.db (one standalone SQLite file), secret, admin-token
 *   .lightbox-backup                 says the folder is a backup's, from its first moment
 *
 * A run builds snapshots/<id>.partial beside the current snapshot, seals it by a rename, and
 * switches to it by replacing manifest.json (one rename). Originals are named by their content
 * and never change, so adding new ones cannot harm the current snapshot: at every instant
 * manifest.json names a whole snapshot whose originals are all there. Renditions are left out:
 * they are made again from the originals. Format 1 (an older Lightbox) kept lightbox.db and the
 * secrets at the top of the folder: it is read, and turned into format 2 by the next run.
 */
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_FORMAT = 2;
const MARKER_FILE = '.lightbox-backup';
const LOCK_FILE = 'backup.lock';
const SNAPSHOTS_DIR = 'snapshots';
const PARTIAL_SUFFIX = '.partial';
/** Where format 1 kept the snapshot: at the top of the backup folder. */
const TOP_LEVEL = '.';
const TOP_LEVEL_FILES = ['lightbox.db', 'lightbox.db-wal', 'lightbox.db-shm', 'secret', 'admin-token'];
/** What a backup folder may hold; a folder holding only these (an older Lightbox's interrupted first run, say) is taken as one. */
const BACKUP_ENTRIES = new Set([MANIFEST_FILE, MARKER_FILE, LOCK_FILE, SNAPSHOTS_DIR, 'originals', 'tmp', ...TOP_LEVEL_FILES]);
const MARKER_TEXT =
  'This folder is a Lightbox backup. manifest.json names the current snapshot (snapshots/<id>/: lightbox.db, secret,\n' +
  'admin-token); originals/ holds the originals of every snapshot. A snapshots/*.partial folder is an unfinished run,\n' +
  'removed by the next `lightbox backup`. Restore with `lightbox restore <this folder>`.\n';
/** How often a running backup touches its lock, and how long an untouched lock from another host is respected. */
const LOCK_HEARTBEAT_MS = 30_000;
const LOCK_STALE_MS = 5 * 60_000;

const SNAPSHOT_PATH = /^snapshots\/[0-9A-Za-z-]+$/;
const ORIGINAL_PATH = /^originals\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})\.[a-z0-9]{2,5}$/;

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
  /** The folder, relative to the backup folder, holding lightbox.db and the secrets ('.' in format 1). */
  snapshot: string;
  /** The snapshot this one replaced, kept until the next run so a restore already reading it can finish. */
  previousSnapshot?: string;
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

async function entriesOf(dir: string): Promise<string[]> {
  return readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
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
 * Adds originals to the backup's shared originals/: a hard link when both are on one file
 * system (no bytes copied, and originals are never modified in place), else a copy through a
 * temp file, so an interrupted backup never leaves half a file under an original's name. The
 * folders it added to are flushed before the manifest names them, so a power cut cannot
 * leave a committed manifest naming a link that never reached the disk.
 */
class OriginalsWriter {
  readonly added = { linked: 0, copied: 0 };
  private readonly touched = new Set<string>();

  constructor(
    private readonly backupDir: string,
    private readonly tempDir: string,
  ) {}

  /** Puts `source` at `relative` (to the backup folder) unless it is there already; false when it was. */
  async add(source: string, relative: string): Promise<boolean> {
    const destination = path.join(this.backupDir, relative);
    if (await exists(destination)) return false;
    await mkdir(path.dirname(destination), { recursive: true, mode: 0o700 });
    this.touched.add(path.dirname(destination));
    try {
      await link(source, destination);
      this.added.linked++;
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
    }
    const temp = path.join(this.tempDir, `${path.basename(destination)}.${process.pid}.part`);
    await copyFile(source, temp);
    await commitTempFile(temp, destination);
    this.added.copied++;
    return true;
  }

  async flush(): Promise<void> {
    for (const dir of this.touched) await fsyncDirectory(dir);
    this.touched.clear();
  }
}

function originalsIn(sqlite: Database.Database): OriginalRow[] {
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

/** The layout of a manifest's snapshot: lightbox.db and the secrets. */
function snapshotLayout(backupDir: string, manifest: Manifest): StorageLayout {
  return new StorageLayout(path.join(backupDir, manifest.snapshot));
}

/**
 * Makes `backupDir` a backup folder, or proves it is one: it may be new, empty, a backup, or
 * what an interrupted first run left (which is then resumed). Anything else is refused, so a
 * typo never mixes a backup into someone's folder.
 */
async function adoptBackupFolder(backupDir: string): Promise<void> {
  const existing = await stat(backupDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) throw new LightboxError('USAGE', `${backupDir} is a file; name a folder`);
  if (existing === undefined) {
    if (!(await exists(path.dirname(backupDir)))) {
      throw new LightboxError('USAGE', `the folder ${path.dirname(backupDir)} does not exist; create it first`);
    }
    await mkdir(backupDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  const entries = await readdir(backupDir);
  if (entries.includes(MARKER_FILE)) return;
  if (!entries.includes(MANIFEST_FILE) && !entries.every((entry) => BACKUP_ENTRIES.has(entry))) {
    throw new LightboxError('USAGE', `${backupDir} is not empty and holds no Lightbox backup; name a new or empty folder`);
  }
  await writeFile(path.join(backupDir, MARKER_FILE), MARKER_TEXT, { mode: 0o600 });
  await fsyncDirectory(backupDir);
}

interface LockHolder {
  pid: number;
  host: string;
}

async function lockHolder(file: string): Promise<(LockHolder & { touchedMs: number }) | undefined> {
  try {
    const [pid, host] = (await readFile(file, 'utf8')).trim().split(' ');
    return { pid: Number(pid), host: host ?? '', touchedMs: (await stat(file)).mtimeMs };
  } catch {
    return undefined;
  }
}

/** A lock is alive while its process runs (same host), or while it is touched (another host or container, where its pid means nothing here). */
function lockIsLive(holder: LockHolder & { touchedMs: number }): boolean {
  if (holder.host === HOST_TAG && Number.isInteger(holder.pid) && holder.pid > 0) return isProcessAlive(holder.pid);
  return Date.now() - holder.touchedMs < LOCK_STALE_MS;
}

/**
 * One run at a time per backup folder: two would prune each other's snapshots. The lock is a
 * file holding the pid and host, created exclusively; one left by a run that is gone (killed)
 * is taken over, so an interrupted run never blocks the next.
 */
async function lockBackupFolder(backupDir: string): Promise<() => Promise<void>> {
  const file = path.join(backupDir, LOCK_FILE);
  const mine = `${process.pid} ${HOST_TAG}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, mine, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await lockHolder(file);
      if (holder !== undefined && lockIsLive(holder)) {
        throw new LightboxError(
          'DATA_DIR_IN_USE',
          `another \`lightbox backup\` (pid ${holder.pid}) is writing to ${backupDir}; let it finish (if none runs, delete ${file})`,
        );
      }
      await rm(file, { force: true });
      continue;
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(file, now, now).catch(() => undefined);
    }, LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    return async () => {
      clearInterval(heartbeat);
      if ((await readFile(file, 'utf8').catch(() => '')) === mine) await rm(file, { force: true });
    };
  }
  throw new LightboxError('DATA_DIR_IN_USE', `${backupDir}: could not take the backup lock (${file}); another backup is starting`);
}

/** The snapshots a manifest needs kept: its own, and the one before it (a restore may be reading it). */
function keptSnapshots(manifest: Manifest | undefined): Set<string> {
  return new Set([manifest?.snapshot, manifest?.previousSnapshot].filter((kept): kept is string => kept !== undefined));
}

/**
 * Removes every snapshot the manifest does not keep: an unfinished one (.partial), one sealed
 * by a run killed before it switched, superseded ones, and format 1's top-level files once no
 * manifest names them. Returns how many snapshot folders went.
 */
async function pruneSnapshots(backupDir: string, manifest: Manifest | undefined): Promise<number> {
  const kept = keptSnapshots(manifest);
  let removed = 0;
  for (const entry of await entriesOf(path.join(backupDir, SNAPSHOTS_DIR))) {
    if (kept.has(`${SNAPSHOTS_DIR}/${entry}`)) continue;
    await rm(path.join(backupDir, SNAPSHOTS_DIR, entry), { recursive: true, force: true });
    removed++;
  }
  if (!kept.has(TOP_LEVEL)) for (const file of TOP_LEVEL_FILES) await rm(path.join(backupDir, file), { force: true });
  return removed;
}

/** A name that sorts by time, unique even for two runs in one millisecond. */
function newSnapshotName(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

/**
 * The database through SQLite's online backup (consistent while the server writes), into a
 * file created 0600 first so it is never readable by others, even for an instant. It is then
 * turned from WAL into a standalone file, so reading it leaves no -wal or -shm beside it.
 */
async function snapshotDatabase(store: Store, file: string): Promise<{ rows: OriginalRow[]; albums: number }> {
  closeSync(openSync(file, 'wx', 0o600));
  await store.database.sqlite.backup(file);
  const snapshot = new Database(file);
  try {
    snapshot.pragma('journal_mode = DELETE');
    const rows = originalsIn(snapshot);
    const albums = (snapshot.prepare('SELECT count(*) AS n FROM albums').get() as { n: number }).n;
    return { rows, albums };
  } finally {
    snapshot.close();
    await fsyncFile(file);
  }
}

/** The steps of a backup, in order: after each, a kill leaves either the last good backup or the new one current. */
export const BACKUP_STEPS = [
  'locked',
  'leftovers-removed',
  'originals-added',
  'database-copied',
  'late-originals-added',
  'secrets-copied',
  'sealed',
  'switched',
  'pruned',
] as const;
export type BackupStep = (typeof BACKUP_STEPS)[number];

export interface BackupOptions {
  /** Called after each step (tests kill the process there). */
  afterStep?: (step: BackupStep) => void | Promise<void>;
}

export interface BackupReport {
  photos: number;
  albums: number;
  bytes: number;
  /** Originals this run put into the backup (the rest were there from an earlier one). */
  added: { linked: number; copied: number };
  /** Photos whose original vanished between the snapshot and the copy (deleted meanwhile): then the backup is not switched. */
  missing: string[];
  /** The snapshot now current, relative to the backup folder; the previous one (or none) when `missing` kept this run from switching. */
  snapshot: string | undefined;
  /** Unfinished snapshots an interrupted run had left, removed (what it had added to originals/ was kept and used). */
  interrupted: number;
  /** No backup was complete in the folder before this run (a first backup, or a resumed interrupted one). */
  first: boolean;
}

async function readCurrentManifest(backupDir: string): Promise<Manifest | undefined> {
  return (await exists(path.join(backupDir, MANIFEST_FILE))) ? readManifest(backupDir) : undefined;
}

/**
 * A complete, consistent snapshot of a running library in `target`, switched in only once it
 * is whole (see the folder's layout above). Originals present now are added first; then the
 * database is copied through SQLite's online backup; then any original a row of that snapshot
 * names and the backup lacks (imported meanwhile: a file is always stored before its row) is
 * added. So every row of the snapshot has its original. A second backup adds only what is new.
 */
export async function backupLibrary(store: Store, target: string, options: BackupOptions = {}): Promise<BackupReport> {
  const step = async (name: BackupStep) => options.afterStep?.(name);
  const backupDir = path.resolve(target);
  await adoptBackupFolder(backupDir);
  const unlock = await lockBackupFolder(backupDir);
  try {
    await step('locked');
    const previous = await readCurrentManifest(backupDir);
    const tempDir = path.join(backupDir, 'tmp');
    await rm(tempDir, { recursive: true, force: true });
    const interrupted = await pruneSnapshots(backupDir, previous);
    await mkdir(tempDir, { recursive: true, mode: 0o700 });
    await step('leftovers-removed');

    const { layout } = store;
    const originalsWriter = new OriginalsWriter(backupDir, tempDir);
    for (const relative of await filesUnder(layout.originalsDir)) {
      await originalsWriter.add(
        path.join(layout.originalsDir, relative),
        path.relative(layout.dataDir, path.join(layout.originalsDir, relative)),
      );
    }
    await step('originals-added');

    const name = newSnapshotName();
    const partial = path.join(backupDir, SNAPSHOTS_DIR, `${name}${PARTIAL_SUFFIX}`);
    await mkdir(partial, { recursive: true, mode: 0o700 });
    const staged = new StorageLayout(partial);
    const { rows, albums } = await snapshotDatabase(store, staged.databaseFile);
    await step('database-copied');

    const missing: string[] = [];
    const originals: ManifestOriginal[] = [];
    for (const row of rows) {
      const relative = relativeOriginal(layout, row);
      const source = path.join(layout.dataDir, relative);
      if (!(await exists(path.join(backupDir, relative))) && !(await exists(source))) missing.push(relative);
      else await originalsWriter.add(source, relative);
      originals.push({ path: relative.split(path.sep).join('/'), sha256: row.content_hash, bytes: row.byte_size });
    }
    await originalsWriter.flush();
    await step('late-originals-added');
    if (missing.length > 0) {
      // A snapshot with a row whose original is gone would not restore: the last good backup stays current.
      await rm(partial, { recursive: true, force: true });
      const added = originalsWriter.added;
      return {
        photos: rows.length,
        albums,
        bytes: 0,
        added,
        missing,
        snapshot: previous?.snapshot,
        interrupted,
        first: previous === undefined,
      };
    }

    await copySecrets(layout, staged, tempDir);
    await fsyncDirectory(partial);
    await step('secrets-copied');

    const snapshot = `${SNAPSHOTS_DIR}/${name}`;
    await rename(partial, path.join(backupDir, snapshot));
    await fsyncDirectory(path.join(backupDir, SNAPSHOTS_DIR));
    await step('sealed');

    const bytes = originals.reduce((sum, original) => sum + original.bytes, 0);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      createdAt: new Date().toISOString(),
      lightboxVersion: VERSION,
      snapshot,
      ...(previous === undefined ? {} : { previousSnapshot: previous.snapshot }),
      counts: { photos: rows.length, albums, originals: originals.length, bytes },
      originals,
    };
    // The switch: one rename. Before it the last good backup is current, after it this one.
    await writeFileAtomic(tempDir, path.join(backupDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    await step('switched');

    await pruneSnapshots(backupDir, manifest);
    await rm(tempDir, { recursive: true, force: true });
    await step('pruned');
    return {
      photos: rows.length,
      albums,
      bytes,
      added: originalsWriter.added,
      missing,
      snapshot,
      interrupted,
      first: previous === undefined,
    };
  } finally {
    await unlock();
  }
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

function notAManifest(backupDir: string, why: string): LightboxError {
  return new LightboxError('USAGE', `${backupDir}/${MANIFEST_FILE} is not a backup manifest this Lightbox reads (${why})`);
}

/** Checks what a manifest names before anything is read through it: no path may lead out of the backup folder. */
function validManifest(backupDir: string, parsed: unknown): Manifest {
  const manifest = parsed as Partial<Manifest> | null;
  if (typeof manifest !== 'object' || manifest === null) throw notAManifest(backupDir, 'not a JSON object');
  if (manifest.format !== 1 && manifest.format !== MANIFEST_FORMAT) throw notAManifest(backupDir, `format ${String(manifest.format)}`);
  const snapshot = manifest.format === 1 ? TOP_LEVEL : manifest.snapshot;
  if (typeof snapshot !== 'string' || (snapshot !== TOP_LEVEL && !SNAPSHOT_PATH.test(snapshot))) {
    throw notAManifest(backupDir, `snapshot ${JSON.stringify(snapshot)}`);
  }
  if (!Array.isArray(manifest.originals) || typeof manifest.counts !== 'object' || manifest.counts === null) {
    throw notAManifest(backupDir, 'no originals or counts');
  }
  for (const original of manifest.originals as unknown[]) {
    const { path: file, sha256, bytes } = (original ?? {}) as Partial<ManifestOriginal>;
    const hash = typeof file === 'string' ? ORIGINAL_PATH.exec(file)?.[1] : undefined;
    if (hash === undefined || hash !== sha256 || !Number.isSafeInteger(bytes) || (bytes as number) < 0) {
      throw notAManifest(backupDir, `original ${JSON.stringify(original)}`);
    }
  }
  const previous = manifest.previousSnapshot;
  if (previous !== undefined && (typeof previous !== 'string' || (previous !== TOP_LEVEL && !SNAPSHOT_PATH.test(previous)))) {
    throw notAManifest(backupDir, `previous snapshot ${JSON.stringify(previous)}`);
  }
  return { ...(manifest as Manifest), snapshot };
}

export async function readManifest(backupDir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(backupDir, MANIFEST_FILE), 'utf8');
  } catch {
    if (await exists(path.join(backupDir, MARKER_FILE))) {
      throw new LightboxError(
        'USAGE',
        `${backupDir} holds an unfinished first backup (it was interrupted before it was whole): nothing in it can be restored yet; ` +
          'run `lightbox backup` into it again, which resumes it',
      );
    }
    throw new LightboxError('USAGE', `${backupDir} holds no ${MANIFEST_FILE}: not a Lightbox backup`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw notAManifest(backupDir, `not JSON: ${(error as Error).message}`);
  }
  return validManifest(backupDir, parsed);
}

/** Everything wrong with a backup: the database, and every original against its size and SHA-256. */
export async function checkBackup(backupDir: string, manifest: Manifest): Promise<Problem[]> {
  const problems: Problem[] = [];
  const database = path.posix.join(manifest.snapshot, 'lightbox.db');
  try {
    const copy = openDatabase(snapshotLayout(backupDir, manifest).databaseFile, { readonly: true });
    try {
      const integrity = copy.sqlite.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push({ file: database, problem: `integrity check: ${String(integrity)}` });
      const rows = originalsIn(copy.sqlite).length;
      if (rows !== manifest.counts.photos)
        problems.push({ file: database, problem: `${rows} photos, the manifest says ${manifest.counts.photos}` });
    } finally {
      copy.close();
    }
  } catch (error) {
    problems.push({ file: database, problem: `cannot be read: ${(error as Error).message}` });
  }
  for (const original of manifest.originals) {
    const problem = await checkOriginal(path.join(backupDir, original.path), original.sha256, original.bytes);
    if (problem !== undefined) problems.push({ file: original.path, problem });
  }
  return problems;
}

/** The database holds GPS positions and password and token hashes: only its owner may read it (and SQLite gives -wal and -shm its mode). */
async function makePrivate(databaseFile: string): Promise<void> {
  for (const file of [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]) {
    await chmod(file, 0o600).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
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

  const snapshot = snapshotLayout(backupDir, manifest);
  const staging = `${dataDir}.restoring-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const layout = new StorageLayout(staging);
  try {
    await mkdir(layout.tempDir, { recursive: true, mode: 0o700 });
    // copyFile gives the copy the source's mode: a format 1 backup's database may be 0644.
    await copyFile(snapshot.databaseFile, layout.databaseFile);
    await makePrivate(layout.databaseFile);
    for (const original of manifest.originals) {
      const destination = path.join(staging, original.path);
      await mkdir(path.dirname(destination), { recursive: true, mode: 0o700 });
      await copyFile(path.join(backupDir, original.path), destination);
    }
    await copySecrets(snapshot, layout, layout.tempDir);
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
  /** Temp files in tmp/ no running process will finish (an interrupted upload, import or render), relative to the data dir. */
  staleTemps: string[];
}

/** `lightbox verify`: every photo has its original, intact; no original is left without its photo, no temp file without its writer. */
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
  const staleTemps = (await staleTempFiles(layout)).map((name) => path.relative(layout.dataDir, path.join(layout.tempDir, name)));
  return { photos: rows.length, bytes, problems, orphans, staleTemps };
}
