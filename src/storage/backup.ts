import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { chmod, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { StorageConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { LightboxError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { commitTempFile, fsyncDirectory, fsyncFile, HOST_TAG, tempPath, writeFileAtomic } from './atomic.ts';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  type ManifestOriginal,
  ManifestWriter,
  manifestOriginals,
  readManifestHeader,
  TOP_LEVEL,
} from './backup-manifest.ts';
import { Bucket } from './bucket.ts';
import { staleTempFiles } from './data-dir.ts';
import { isProcessAlive } from './data-dir-lock.ts';
import { type FileStore, LocalFiles } from './file-store.ts';
import { StorageLayout } from './layout.ts';
import type { Store } from './open-store.ts';
import { claimBucket, recordStorage } from './storage-record.ts';

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

const MARKER_FILE = '.lightbox-backup';
const LOCK_FILE = 'backup.lock';
const SNAPSHOTS_DIR = 'snapshots';
const PARTIAL_SUFFIX = '.partial';
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

/** Rows read per statement: memory stays one page, whatever the library's size. */
const ROWS_PER_PAGE = 1_000;

export interface OriginalRow {
  content_hash: string;
  original_extension: string;
  byte_size: number;
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

/**
 * Adds originals to the backup's shared originals/: a hard link when both are on one file
 * system (no bytes copied, and originals are never modified in place), else a copy through a
 * temp file (downloaded, for a bucket library), so an interrupted backup never leaves half a
 * file under an original's name. The
 * folders it added to are flushed before the manifest names them, so a power cut cannot
 * leave a committed manifest naming a link that never reached the disk.
 */
class OriginalsWriter {
  readonly added = { linked: 0, copied: 0 };
  private readonly touched = new Set<string>();

  constructor(
    private readonly backupDir: string,
    private readonly tempDir: string,
    private readonly files: FileStore,
  ) {}

  /** Puts `source` at `relative` (to the backup folder) unless it is there already; 'missing' when `source` is gone (its photo deleted meanwhile). */
  async add(source: string, relative: string): Promise<'added' | 'present' | 'missing'> {
    const destination = path.join(this.backupDir, relative);
    if (await exists(destination)) return 'present';
    await mkdir(path.dirname(destination), { recursive: true, mode: 0o700 });
    this.touched.add(path.dirname(destination));
    if (this.files instanceof LocalFiles) {
      try {
        await link(source, destination);
        this.added.linked++;
        return 'added';
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return 'present';
        if (code === 'ENOENT') return 'missing';
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
      }
    }
    const temp = path.join(this.tempDir, `${path.basename(destination)}.${process.pid}.part`);
    await rm(temp, { force: true });
    if (!(await this.files.copyOut(source, temp))) return 'missing';
    await commitTempFile(temp, destination);
    this.added.copied++;
    return 'added';
  }

  async flush(): Promise<void> {
    for (const dir of this.touched) await fsyncDirectory(dir);
    this.touched.clear();
  }
}

/**
 * Every original a database's photos name, in content-hash order, a page at a time (keyset on
 * the unique content_hash index): no statement stays open between pages, so the caller may
 * await between rows, and memory is one page at any size.
 */
export function* originalRows(sqlite: Database.Database): Generator<OriginalRow> {
  const page = sqlite.prepare<[string, number], OriginalRow>(
    'SELECT content_hash, original_extension, byte_size FROM photos WHERE content_hash > ? ORDER BY content_hash LIMIT ?',
  );
  let after = '';
  for (;;) {
    const rows = page.all(after, ROWS_PER_PAGE);
    yield* rows;
    const last = rows.at(-1);
    if (last === undefined || rows.length < ROWS_PER_PAGE) return;
    after = last.content_hash;
  }
}

function photoCount(sqlite: Database.Database): number {
  return (sqlite.prepare('SELECT count(*) AS n FROM photos').get() as { n: number }).n;
}

/**
 * What the current backup holds, by its manifest, which lists its originals by SHA-256 as rows
 * are read here: asked in content-hash order, it answers by walking the manifest once alongside,
 * one original in memory. Trusted, not checked (that is `lightbox verify`'s job): so a run with
 * nothing new touches no original. An unsorted manifest only makes it answer "not held" more
 * often, which costs a look at the backup's file, never a missing one.
 */
class HeldOriginals {
  private current: ManifestOriginal | undefined;
  private readonly originals: AsyncIterator<ManifestOriginal> | undefined;
  private started = false;

  constructor(backupDir: string, manifest: Manifest | undefined) {
    this.originals = manifest === undefined ? undefined : manifestOriginals(backupDir)[Symbol.asyncIterator]();
  }

  async holds(relative: string, row: OriginalRow): Promise<boolean> {
    if (this.originals === undefined) return false;
    if (!this.started) {
      this.started = true;
      await this.advance();
    }
    while (this.current !== undefined && this.current.sha256 < row.content_hash) await this.advance();
    const held = this.current;
    return held?.sha256 === row.content_hash && held.bytes === row.byte_size && held.path === manifestPath(relative);
  }

  private async advance(): Promise<void> {
    const next = await this.originals?.next();
    this.current = next === undefined || next.done === true ? undefined : next.value;
  }
}

function manifestPath(relative: string): string {
  return relative.split(path.sep).join('/');
}

/**
 * The private files a restored server needs (signed URLs and cursors keep working, the token
 * stays the same), from one data-dir-shaped folder to another, through `tempDir`.
 */
async function copySecrets(from: StorageLayout, to: StorageLayout, tempDir: string): Promise<void> {
  // The storage record too: it carries the library's id, which its bucket prefix is claimed by.
  for (const pick of [
    (layout: StorageLayout) => layout.secretFile,
    (layout: StorageLayout) => layout.adminTokenFile,
    (layout: StorageLayout) => layout.storageFile,
  ]) {
    if (await exists(pick(from))) await writeFileAtomic(tempDir, pick(to), await readFile(pick(from)), 0o600);
  }
}

/** Where an original is in a backup folder: at its key (originals/ab/cd/<sha256>.<ext>), wherever the library keeps it. */
function relativeOriginal(layout: StorageLayout, row: OriginalRow): string {
  return layout.keyOf(layout.originalPath(row.content_hash, row.original_extension)).split('/').join(path.sep);
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
function keptSnapshots(manifest: Pick<Manifest, 'snapshot' | 'previousSnapshot'> | undefined): Set<string> {
  return new Set([manifest?.snapshot, manifest?.previousSnapshot].filter((kept): kept is string => kept !== undefined));
}

/**
 * Removes every snapshot the manifest does not keep: an unfinished one (.partial), one sealed
 * by a run killed before it switched, superseded ones, and format 1's top-level files once no
 * manifest names them. Returns how many snapshot folders went.
 */
async function pruneSnapshots(backupDir: string, manifest: Pick<Manifest, 'snapshot' | 'previousSnapshot'> | undefined): Promise<number> {
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
async function snapshotDatabase(store: Store, file: string): Promise<void> {
  closeSync(openSync(file, 'wx', 0o600));
  await store.database.sqlite.backup(file);
  const snapshot = new Database(file);
  try {
    snapshot.pragma('journal_mode = DELETE');
  } finally {
    snapshot.close();
    await fsyncFile(file);
  }
}

function snapshotCounts(snapshot: Database.Database): Manifest['counts'] {
  const { photos, bytes } = snapshot.prepare('SELECT count(*) AS photos, total(byte_size) AS bytes FROM photos').get() as {
    photos: number;
    bytes: number;
  };
  const albums = (snapshot.prepare('SELECT count(*) AS n FROM albums').get() as { n: number }).n;
  return { photos, albums, originals: photos, bytes };
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
 * The originals of the library's rows the backup does not hold yet (new since the last run),
 * put in before the database is copied, so a photo deleted while the snapshot is taken rarely
 * costs the run its switch. Rows held already are not looked at: their files are not touched.
 */
async function addNewOriginals(store: Store, backupDir: string, previous: Manifest | undefined, writer: OriginalsWriter): Promise<void> {
  const held = new HeldOriginals(backupDir, previous);
  const { layout } = store;
  for (const row of originalRows(store.database.sqlite)) {
    const relative = relativeOriginal(layout, row);
    if (!(await held.holds(relative, row))) await writer.add(layout.originalPath(row.content_hash, row.original_extension), relative);
  }
}

/**
 * The snapshot's side of the backup: every original its rows name is made present (the ones
 * imported while it was taken are added now: a file is always stored before its row), and each
 * is written to the new manifest as it goes. Returns the originals that are neither in the
 * backup nor in the library any more (their photos deleted meanwhile).
 */
async function addSnapshotOriginals(
  store: Store,
  snapshot: Database.Database,
  held: HeldOriginals,
  writer: OriginalsWriter,
  manifest: ManifestWriter,
): Promise<string[]> {
  const missing: string[] = [];
  const { layout } = store;
  for (const row of originalRows(snapshot)) {
    const relative = relativeOriginal(layout, row);
    if (
      !(await held.holds(relative, row)) &&
      (await writer.add(layout.originalPath(row.content_hash, row.original_extension), relative)) === 'missing'
    ) {
      missing.push(relative);
    }
    await manifest.add({ path: manifestPath(relative), sha256: row.content_hash, bytes: row.byte_size });
  }
  return missing;
}

/** The new manifest, written beside the current one while the snapshot's originals are added; committed by the switch. */
async function writeNewManifest(
  store: Store,
  databaseFile: string,
  file: string,
  header: Omit<Manifest, 'counts'>,
  held: HeldOriginals,
  writer: OriginalsWriter,
): Promise<{ counts: Manifest['counts']; missing: string[] }> {
  const snapshot = new Database(databaseFile, { readonly: true });
  try {
    const counts = snapshotCounts(snapshot);
    const manifest = new ManifestWriter(file, { ...header, counts });
    try {
      const missing = await addSnapshotOriginals(store, snapshot, held, writer, manifest);
      await manifest.finish();
      return { counts, missing };
    } catch (error) {
      await manifest.abandon();
      throw error;
    }
  } finally {
    snapshot.close();
  }
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
    const originalsWriter = new OriginalsWriter(backupDir, tempDir, store.files);
    await addNewOriginals(store, backupDir, previous, originalsWriter);
    await step('originals-added');

    const name = newSnapshotName();
    const partial = path.join(backupDir, SNAPSHOTS_DIR, `${name}${PARTIAL_SUFFIX}`);
    await mkdir(partial, { recursive: true, mode: 0o700 });
    const staged = new StorageLayout(partial);
    await snapshotDatabase(store, staged.databaseFile);
    const createdAt = new Date().toISOString();
    await step('database-copied');

    const snapshot = `${SNAPSHOTS_DIR}/${name}`;
    const manifestFile = tempPath(tempDir, 'json');
    const { counts, missing } = await writeNewManifest(
      store,
      staged.databaseFile,
      manifestFile,
      {
        format: MANIFEST_FORMAT,
        createdAt,
        lightboxVersion: VERSION,
        snapshot,
        ...(previous === undefined ? {} : { previousSnapshot: previous.snapshot }),
      },
      new HeldOriginals(backupDir, previous),
      originalsWriter,
    );
    await originalsWriter.flush();
    await step('late-originals-added');
    const report = {
      photos: counts.photos,
      albums: counts.albums,
      added: originalsWriter.added,
      interrupted,
      first: previous === undefined,
    };
    if (missing.length > 0) {
      // A snapshot with a row whose original is gone would not restore: the last good backup stays current.
      await rm(partial, { recursive: true, force: true });
      await rm(manifestFile, { force: true });
      return { ...report, bytes: 0, missing, snapshot: previous?.snapshot };
    }

    await copySecrets(layout, staged, tempDir);
    await fsyncDirectory(partial);
    await step('secrets-copied');

    await rename(partial, path.join(backupDir, snapshot));
    await fsyncDirectory(path.join(backupDir, SNAPSHOTS_DIR));
    await step('sealed');

    // The switch: one rename. Before it the last good backup is current, after it this one.
    await commitTempFile(manifestFile, path.join(backupDir, MANIFEST_FILE));
    await step('switched');

    await pruneSnapshots(backupDir, { snapshot, ...(previous === undefined ? {} : { previousSnapshot: previous.snapshot }) });
    await rm(tempDir, { recursive: true, force: true });
    await step('pruned');
    return { ...report, bytes: counts.bytes, missing, snapshot };
  } finally {
    await unlock();
  }
}

export interface Problem {
  file: string;
  problem: string;
}

/** What is wrong with a stored original (in a library, its bucket, or a backup), or undefined: its size first, then its SHA-256. */
async function checkOriginal(files: FileStore, file: string, sha256: string, bytes: number): Promise<string | undefined> {
  const size = await files.sizeOf(file);
  if (size === undefined) return 'missing';
  if (size !== bytes) return `${size} bytes, expected ${bytes}`;
  if ((await files.digest(file))?.sha256 !== sha256) return 'damaged: its SHA-256 does not match';
  return undefined;
}

/** A backup folder's originals/ as a store: laid out as a data dir's. */
function backupFiles(backupDir: string): FileStore {
  return new LocalFiles(new StorageLayout(backupDir));
}

/** The manifest's header (its originals are streamed by manifestOriginals), or why the folder holds none. */
export async function readManifest(backupDir: string): Promise<Manifest> {
  if (!(await exists(path.join(backupDir, MANIFEST_FILE)))) {
    if (await exists(path.join(backupDir, MARKER_FILE))) {
      throw new LightboxError(
        'USAGE',
        `${backupDir} holds an unfinished first backup (it was interrupted before it was whole): nothing in it can be restored yet; ` +
          'run `lightbox backup` into it again, which resumes it',
      );
    }
    throw new LightboxError('USAGE', `${backupDir} holds no ${MANIFEST_FILE}: not a Lightbox backup`);
  }
  return readManifestHeader(backupDir);
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
      const rows = photoCount(copy.sqlite);
      if (rows !== manifest.counts.photos)
        problems.push({ file: database, problem: `${rows} photos, the manifest says ${manifest.counts.photos}` });
    } finally {
      copy.close();
    }
  } catch (error) {
    problems.push({ file: database, problem: `cannot be read: ${(error as Error).message}` });
  }
  const files = backupFiles(backupDir);
  for await (const original of manifestOriginals(backupDir)) {
    const problem = await checkOriginal(files, path.join(backupDir, original.path), original.sha256, original.bytes);
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
 * renamed into place, so a failure leaves no half-restored library. With `storage` a bucket
 * (LIGHTBOX_STORAGE), the originals are uploaded to it first (those already there, by size,
 * are not sent again: a restore cut short resumes), and the library records it.
 */
export async function restoreLibrary(
  backupDir: string,
  dataDir: string,
  storage: StorageConfig = { kind: 'local' },
): Promise<{ manifest: Manifest; problems: Problem[] }> {
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
    await copySecrets(snapshot, layout, layout.tempDir);
    await recordStorage(layout, storage);
    if (storage.kind === 's3') await uploadOriginals(backupDir, storage, layout);
    else {
      for await (const original of manifestOriginals(backupDir)) {
        const destination = path.join(staging, original.path);
        await mkdir(path.dirname(destination), { recursive: true, mode: 0o700 });
        await copyFile(path.join(backupDir, original.path), destination);
      }
    }
    if (target !== undefined) await rm(dataDir, { recursive: true });
    await mkdir(path.dirname(dataDir), { recursive: true });
    await rename(staging, dataDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { manifest, problems };
}

/** A backup's originals into the bucket a restored library will use, each unless it is there already at its size. */
async function uploadOriginals(backupDir: string, storage: Extract<StorageConfig, { kind: 's3' }>, layout: StorageLayout): Promise<void> {
  const bucket = new Bucket(storage);
  try {
    await claimBucket(layout, bucket);
    for await (const original of manifestOriginals(backupDir)) {
      if ((await bucket.head(original.path))?.size === original.bytes) continue;
      await bucket.upload(original.path, path.join(backupDir, original.path));
    }
  } finally {
    bucket.close();
  }
}

/** How many problems or files a check names at most: past that it only counts, so a wholly damaged library costs no more memory than a sound one. */
const LISTED_AT_MOST = 1_000;

/** The first LISTED_AT_MOST of something a check finds, and how many there were in all. */
export class Findings<T> {
  readonly listed: T[] = [];
  count = 0;

  add(finding: T): void {
    this.count++;
    if (this.listed.length < LISTED_AT_MOST) this.listed.push(finding);
  }
}

export interface LibraryCheck {
  photos: number;
  bytes: number;
  problems: Findings<Problem>;
  /** Files under originals/ no photo refers to. */
  orphans: Findings<string>;
  /** Temp files in tmp/ no running process will finish (an interrupted upload, import or render), relative to the data dir. */
  staleTemps: string[];
}

/** Whether a photo refers to this stored original (by its key) by its hash and extension: one index lookup per file, no list of every path. */
function referencedOriginal(layout: StorageLayout, sqlite: Database.Database): (key: string) => boolean {
  const extensionOf = sqlite.prepare<[string], { original_extension: string }>(
    'SELECT original_extension FROM photos WHERE content_hash = ?',
  );
  return (key) => {
    const hash = /^([0-9a-f]{64})\.[a-z0-9]{2,5}$/.exec(path.posix.basename(key))?.[1];
    const row = hash === undefined ? undefined : extensionOf.get(hash);
    return row !== undefined && layout.originalPath(hash as string, row.original_extension) === layout.fileOf(key);
  };
}

/**
 * `lightbox verify`: every photo has its original, intact; no original is left without its
 * photo, no temp file without its writer. Rows and files are walked a page and an entry at a
 * time (a file's photo is looked up by its hash), so memory does not grow with the library.
 */
export async function checkLibrary(store: Store): Promise<LibraryCheck> {
  const { layout, database } = store;
  const problems = new Findings<Problem>();
  let photos = 0;
  let bytes = 0;
  for (const row of originalRows(database.sqlite)) {
    const relative = relativeOriginal(layout, row);
    photos++;
    bytes += row.byte_size;
    const problem = await checkOriginal(
      store.files,
      layout.originalPath(row.content_hash, row.original_extension),
      row.content_hash,
      row.byte_size,
    );
    if (problem !== undefined) problems.add({ file: relative, problem });
  }
  const integrity = database.sqlite.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.add({ file: 'lightbox.db', problem: `integrity check: ${String(integrity)}` });
  const referenced = referencedOriginal(layout, database.sqlite);
  const orphans = new Findings<string>();
  for await (const file of store.files.list('originals/')) {
    if (!referenced(file.key)) orphans.add(file.key);
  }
  const staleTemps = (await staleTempFiles(layout)).map((name) => path.relative(layout.dataDir, path.join(layout.tempDir, name)));
  return { photos, bytes, problems, orphans, staleTemps };
}
