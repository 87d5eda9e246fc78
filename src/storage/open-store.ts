import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { applyMigrations, type DatabaseHandle, openDatabase } from '../db/client.ts';
import { ConfigError } from '../errors.ts';
import { prepareDataDir } from './data-dir.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { StorageLayout } from './layout.ts';

export interface Store {
  layout: StorageLayout;
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
export async function openStore(config: Pick<Config, 'dataDir'>, options: OpenStoreOptions): Promise<Store> {
  const layout = new StorageLayout(path.resolve(config.dataDir));
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
  try {
    database = openDatabase(layout.databaseFile);
    applyMigrations(database);
  } catch (error) {
    database?.close();
    lock?.release();
    throw error;
  }
  const opened = database;
  const close = () => {
    opened.close(options.checkpointOnClose ?? true);
    lock?.release();
  };
  return {
    layout,
    database: opened,
    created,
    close,
    async discardIfNew() {
      close();
      if (!created) return;
      // Only what this open made: the folder itself when there was none, else its contents when it was empty.
      if (found === 'missing') await rm(layout.dataDir, { recursive: true, force: true });
      else if (found === 'empty') {
        for (const entry of await readdir(layout.dataDir)) await rm(path.join(layout.dataDir, entry), { recursive: true, force: true });
      }
    },
  };
}
