import path from 'node:path';
import { type Config, loadConfig, type StorageConfig } from '../config.ts';
import { LightboxError } from '../errors.ts';
import { Bucket } from '../storage/bucket.ts';
import { BucketFiles } from '../storage/bucket-files.ts';
import { lockDataDir, serverOf } from '../storage/data-dir-lock.ts';
import { type FileStore, LocalFiles } from '../storage/file-store.ts';
import { StorageLayout } from '../storage/layout.ts';
import { LocalCache } from '../storage/local-cache.ts';
import { migrateStorage } from '../storage/migrate-storage.ts';
import { openStore } from '../storage/open-store.ts';
import { claimBucket, locationOf, recordedStorage, recordStorage } from '../storage/storage-record.ts';

/** A storage location with the S3 settings of this environment (LIGHTBOX_S3_ENDPOINT, AWS_*): the one the library records, or the one asked for. */
function storageAt(location: string): StorageConfig {
  return loadConfig({ ...process.env, LIGHTBOX_STORAGE: location }).storage;
}

/** The target's store: the data dir's own folders, or the bucket (proven writable first). */
async function targetFiles(dataDir: string, storage: StorageConfig): Promise<FileStore> {
  if (storage.kind === 'local') return new LocalFiles(new StorageLayout(dataDir));
  const bucket = new Bucket(storage);
  await bucket.checkWritable('.lightbox-probe/migrate');
  const layout = new StorageLayout(dataDir, true);
  await claimBucket(layout, bucket);
  return new BucketFiles(layout, bucket, new LocalCache(layout, storage.localCacheBytes));
}

/**
 * `lightbox storage migrate --to <s3://bucket/prefix | local>`: every original and rendition
 * copied (resumable, each copy verified by SHA-256), then the library records its new storage,
 * so the next start needs LIGHTBOX_STORAGE set to it and refuses the old one. Refused while a
 * server runs on the data dir, and holds the server's lock while it copies: one importing
 * meanwhile would store photos where they are no longer looked for.
 */
export async function migrateStorageCommand(config: Config, to: string): Promise<number> {
  const started = performance.now();
  const dataDir = path.resolve(config.dataDir);
  const server = serverOf(dataDir);
  if (server !== undefined) {
    throw new LightboxError(
      'DATA_DIR_IN_USE',
      `a server (pid ${server}) is running on ${dataDir}: stop it (and any \`lightbox worker\`) first`,
    );
  }
  // Held to the end: a server started meanwhile would store photos where they are no longer looked for.
  const lock = lockDataDir(dataDir);
  try {
    return await migrateLocked(dataDir, to, started);
  } finally {
    lock.release();
  }
}

async function migrateLocked(dataDir: string, to: string, started: number): Promise<number> {
  const target = storageAt(to);
  const from = await recordedStorage(new StorageLayout(dataDir));
  const destination = locationOf(target);
  if (from === destination) throw new LightboxError('USAGE', `the library in ${dataDir} is already in ${destination}`);
  const store = await openStore({ dataDir, storage: storageAt(from) }, { create: false });
  let files: FileStore | undefined;
  try {
    files = await targetFiles(dataDir, target);
    process.stdout.write(`Copying the library in ${dataDir} from ${from} to ${destination}…\n`);
    let done = 0;
    const report = await migrateStorage(store.database.sqlite, store.files, files, store.layout, () => {
      done++;
      if (done % 500 === 0) process.stdout.write(`  ${done} files\n`);
    });
    await recordStorage(store.layout, destination);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `Copied ${report.originals.copied} originals and ${report.derived.copied} renditions (${(report.bytesCopied / 1024 / 1024).toFixed(1)} MB), ` +
        `each checked by SHA-256; ${report.originals.present + report.derived.present} were there already. Done in ${seconds} s.\n` +
        `The library now keeps its photos in ${destination}. Start it with LIGHTBOX_STORAGE=${destination}` +
        `${target.kind === 's3' && target.endpoint !== undefined ? ` LIGHTBOX_S3_ENDPOINT=${target.endpoint}` : ''}.\n` +
        `Nothing was removed from ${from}: delete ${from === 'local' ? `${path.join(dataDir, 'originals')} and ${path.join(dataDir, 'derived')}` : 'that bucket prefix'} once the new storage serves.\n`,
    );
    return 0;
  } finally {
    if (files instanceof BucketFiles) files.close();
    store.close();
  }
}
