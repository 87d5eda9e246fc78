import path from 'node:path';
import { PUBLIC_ID_PATTERN } from '../ids.ts';

const CONTENT_HASH = /^[0-9a-f]{64}$/;
const EXTENSION = /^[a-z0-9]{2,5}$/;
const VARIANT = /^[a-z]{2,12}$/;
const SEP = path.sep;

/**
 * Where every file of a data dir lives. Paths are built only from values we produced
 * (hex hashes, our own extensions), never from a string taken from a request.
 */
export class StorageLayout {
  readonly databaseFile: string;
  readonly originalsDir: string;
  readonly derivedDir: string;
  readonly tempDir: string;
  readonly adminTokenFile: string;
  readonly secretFile: string;
  /** Which storage the library's files are in (storage-record.ts). */
  readonly storageFile: string;
  /** Where a bucket library's files are kept on this machine (the local cache, data/cache). */
  readonly cacheDir: string;
  /** The folder originals/ and derived/ are in: the data dir itself, or the cache of a bucket's files. */
  readonly filesDir: string;

  /** `inCache`: the photos' files live in a bucket, and their paths here are those of the local cache. */
  constructor(
    readonly dataDir: string,
    readonly inCache = false,
  ) {
    this.databaseFile = path.join(dataDir, 'lightbox.db');
    this.cacheDir = path.join(dataDir, 'cache');
    this.filesDir = inCache ? this.cacheDir : dataDir;
    this.originalsDir = path.join(this.filesDir, 'originals');
    this.derivedDir = path.join(this.filesDir, 'derived');
    this.tempDir = path.join(dataDir, 'tmp');
    this.adminTokenFile = path.join(dataDir, 'admin-token');
    this.secretFile = path.join(dataDir, 'secret');
    this.storageFile = path.join(dataDir, 'storage');
  }

  /**
   * A file's name relative to filesDir with forward slashes: the same key in a bucket as on disk
   * (originals/ab/cd/<sha256>.<ext>, derived/<xx>/<public id>/<variant>.v<n>.<ext>).
   */
  keyOf(file: string): string {
    if (!file.startsWith(this.filesDir + SEP)) throw new Error(`not a photo file of this library: ${file}`);
    const relative = file.slice(this.filesDir.length + 1);
    return SEP === '/' ? relative : relative.split(SEP).join('/');
  }

  /** The path a key has here (keyOf's inverse). */
  fileOf(key: string): string {
    return [this.filesDir, ...key.split('/')].join(SEP);
  }

  /** Originals are stored once per content hash, sharded so no directory grows huge. */
  originalPath(contentHash: string, extension: string): string {
    if (!CONTENT_HASH.test(contentHash)) throw new Error(`not a SHA-256 hex digest: ${contentHash}`);
    if (!EXTENSION.test(extension)) throw new Error(`not a file extension: ${extension}`);
    return [this.originalsDir, contentHash.slice(0, 2), contentHash.slice(2, 4), `${contentHash}.${extension}`].join(SEP);
  }

  /** All derivatives of one photo: removed together when the photo goes. */
  derivedDirFor(publicId: string): string {
    if (!PUBLIC_ID_PATTERN.test(publicId)) throw new Error(`not a public id: ${publicId}`);
    return [this.derivedDir, publicId.slice(0, 2), publicId].join(SEP);
  }

  /**
   * One rendition; the version in the name means a reprocessed photo never serves an old
   * rendering. Asked on every image request: the checked parts are joined as they are (none can
   * hold a separator or a dot segment for path.join to resolve), into one flat string, which is
   * what a kept path should cost (a concatenation keeps every piece).
   */
  derivedPath(publicId: string, variant: string, version: number, extension: string): string {
    if (!VARIANT.test(variant)) throw new Error(`not a variant: ${variant}`);
    if (!EXTENSION.test(extension)) throw new Error(`not a file extension: ${extension}`);
    if (!Number.isSafeInteger(version) || version < 1) throw new Error(`not a version: ${version}`);
    return [this.derivedDirFor(publicId), `${variant}.v${version}.${extension}`].join(SEP);
  }
}
