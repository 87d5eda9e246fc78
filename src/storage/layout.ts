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
