import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config, StorageConfig } from '../config.ts';
import { applyMigrations, type DatabaseHandle, openDatabase } from '../db/client.ts';
import { ConfigError } from '../errors.ts';
import { HOST_TAG } from './atomic.ts';
import { Bucket } from './bucket.ts';
import { BucketFiles } from './bucket-files.ts';
import { prepareDataDir } from './data-dir.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { type FileStore, LocalFiles } from './file-store.ts';
import { StorageLayout } from './layout.ts';
import { LocalCache } from './local-cache.ts';
import { checkRecordedStorage, claimBucket, recordStorage } from './storage-record.ts';

export interface Store {
  layout: StorageLayout;
  /** Where the photos' files are: the data dir, or a bucket through the local cache (LIGHTBOX_STORAGE). */
  files: FileStore;
  database: DatabaseHandle;
  /** This open made the library: there was no database in the data dir before. */
  created: boolean;
  /** Closes the database and, for a server's store, gives up the data dir. */
  close(): void;
  /** Closes it and, if this open made the library, removes what it made: a start that failed leaves nothing behind. */
  discardIfNew(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The store a server runs on: the data dir is locked before the database is touched (one server per data dir). */
  serving?: boolean;
  /**
   * Whether a data dir without a library may become a new one. Only `serve` and `--init` say
   * yes: a mistyped LIGHTBOX_DATA_DIR, or a command run from the wrong folder, must not quietly
   * make an empty library and write into it.
   */
  create: boolean;
  /** What to tell a person whose data dir holds no library (a command that takes --init says so). */
  missingHint?: string;
  /** Prove the bucket takes writes before going on (a bucket library's server, worker and import). */
  checkBucket?: boolean;
  /** False for one of several server processes: their supervisor, which holds the lock, checkpoints the WAL once they have all closed. */
  checkpointOnClose?: boolean;
}

/** What was at the data dir before: nothing, an empty folder, or something (a library, other files, or what cannot be read). */
async function whatIsAt(dataDir: string): Promise<'missing' | 'empty' | 'used'> {
  const found = await stat(dataDir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? ('missing' as const) : undefined));
  if (found === 'missing') return found;
  if (found !== undefined && !found.isDirectory()) {
    throw new ConfigError('LIGHTBOX_DATA_DIR', `${dataDir} is a file, not a folder: point it at the folder your library is in`);
  }
  const entries = found === undefined ? undefined : await readdir(dataDir).catch(() => undefined);
  return entries?.length === 0 ? 'empty' : 'used';
}

async function hasLibrary(layout: StorageLayout): Promise<boolean> {
  return (await stat(layout.databaseFile).catch(() => undefined))?.isFile() ?? false;
}

/**
 * The data dir, proven writable, and its database, migrated: the one start-up path of every
 * command (serve, worker, import, migrate, backup).
 */
export async function openStore(config: Pick<Config, 'dataDir'> & { storage?: StorageConfig }, options: OpenStoreOptions): Promise<Store> {
  const storage = config.storage ?? { kind: 'local' };
  const layout = new StorageLayout(path.resolve(config.dataDir), storage.kind === 's3');
  const found = await whatIsAt(layout.dataDir);
  const created = !(await hasLibrary(layout));
  if (created && !options.create) {
    throw new ConfigError(
      'LIGHTBOX_DATA_DIR',
      `no Lightbox library in ${layout.dataDir}: set LIGHTBOX_DATA_DIR to the folder your library is in${options.missingHint ?? ', or start the server once to make a new one there'}`,
    );
  }
  await prepareDataDir(layout);
  const lock = options.serving ? lockDataDir(layout.dataDir) : undefined;
  let database: DatabaseHandle | undefined;
  let files: FileStore | undefined;
  try {
    database = openDatabase(layout.databaseFile);
    applyMigrations(database);
    await checkRecordedStorage(layout, database.sqlite, storage, created);
    if (created) await recordStorage(layout, storage);
    files = await openFiles(layout, storage, options.checkBucket === true);
  } catch (error) {
    closeFiles(files);
    database?.close();
    lock?.release();
    if (created) await discardMade(layout, found);
    throw error;
  }
  const opened = database;
  const openedFiles = files;
  const close = () => {
    closeFiles(openedFiles);
    opened.close(options.checkpointOnClose ?? true);
    lock?.release();
  };
  return {
    layout,
    files: openedFiles,
    database: opened,
    created,
    close,
    async discardIfNew() {
      close();
      if (created) await discardMade(layout, found);
    },
  };
}

/** Only what an open made: the folder itself when there was none, else its contents when it was empty. */
async function discardMade(layout: StorageLayout, found: 'missing' | 'empty' | 'used'): Promise<void> {
  if (found === 'missing') await rm(layout.dataDir, { recursive: true, force: true });
  else if (found === 'empty') {
    for (const entry of await readdir(layout.dataDir)) await rm(path.join(layout.dataDir, entry), { recursive: true, force: true });
  }
}

/** The data dir's own folders, or the bucket (proven writable when asked) with its local cache. */
async function openFiles(layout: StorageLayout, storage: StorageConfig, checkBucket: boolean): Promise<FileStore> {
  if (storage.kind === 'local') return new LocalFiles(layout);
  const bucket = new Bucket(storage);
  try {
    if (checkBucket) {
      await bucket.checkWritable(`.lightbox-probe/${HOST_TAG}-${process.pid}`);
      await claimBucket(layout, bucket);
    }
    return new BucketFiles(layout, bucket, new LocalCache(layout, storage.localCacheBytes));
  } catch (error) {
    bucket.close();
    throw error;
  }
}

function closeFiles(files: FileStore | undefined): void {
  if (files instanceof BucketFiles) files.close();
}
