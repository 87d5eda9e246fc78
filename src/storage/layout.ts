import path from 'node:path';

const CONTENT_HASH = /^[0-9a-f]{64}$/;
const EXTENSION = /^[a-z0-9]{2,5}$/;

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

  constructor(readonly dataDir: string) {
    this.databaseFile = path.join(dataDir, 'lightbox.db');
    this.originalsDir = path.join(dataDir, 'originals');
    this.derivedDir = path.join(dataDir, 'derived');
    this.tempDir = path.join(dataDir, 'tmp');
    this.adminTokenFile = path.join(dataDir, 'admin-token');
    this.secretFile = path.join(dataDir, 'secret');
  }

  /** Originals are stored once per content hash, sharded so no directory grows huge. */
  originalPath(contentHash: string, extension: string): string {
    if (!CONTENT_HASH.test(contentHash)) throw new Error(`not a SHA-256 hex digest: ${contentHash}`);
    if (!EXTENSION.test(extension)) throw new Error(`not a file extension: ${extension}`);
    return path.join(this.originalsDir, contentHash.slice(0, 2), contentHash.slice(2, 4), `${contentHash}.${extension}`);
  }
}
