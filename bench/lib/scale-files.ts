import { copyFileSync, linkSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { StorageLayout } from '../../src/storage/layout.ts';

/** A READY photo of the seed library whose files every copy of it shares. */
export interface SeedFiles {
  original: string;
  /** Its renditions by file name (`thumb.v1.webp`), as the worker wrote them. */
  renditions: Map<string, string>;
}

interface PhotoFilesRow {
  id: number;
  public_id: string;
  content_hash: string;
  original_extension: string;
}

/**
 * The seed's READY photos in row-id order: buildScaleLibrary copies seed k into every row whose
 * id - 1 ≡ k (mod seeds), so read them before it replaces the rows.
 */
export function seedFilesOf(sqlite: Database.Database, seedDataDir: string): SeedFiles[] {
  const seedLayout = new StorageLayout(seedDataDir);
  const rows = sqlite
    .prepare(`SELECT id, public_id, content_hash, original_extension FROM photos WHERE status = 'READY' ORDER BY id`)
    .all() as PhotoFilesRow[];
  return rows.map((row) => {
    const dir = seedLayout.derivedDirFor(row.public_id);
    const names = readdirSync(dir).filter((name) => /\.v\d+\./.test(name));
    return {
      original: seedLayout.originalPath(row.content_hash, row.original_extension),
      renditions: new Map(names.map((name) => [name, path.join(dir, name)])),
    };
  });
}

/** A hard link, or a copy where the file system refuses one (EMLINK past its links per inode, EXDEV). */
function place(source: string, destination: string): void {
  try {
    linkSync(source, destination);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'EMLINK' && code !== 'EXDEV') throw error;
    copyFileSync(source, destination);
  }
}

/**
 * Gives every photo of a scale library its files: its seed's original under its own content
 * hash and its seed's renditions in its own folder, hard-linked (no bytes copied), where
 * StorageLayout puts them. The originals' bytes are the seed's, so their SHA-256 is not the
 * row's: what reads them (verify) finds them damaged; what only walks them (the sweep, backup) is
 * measured as on a real library. Returns how many photos got files.
 */
export function linkScaleFiles(
  sqlite: Database.Database,
  dataDir: string,
  seeds: SeedFiles[],
  options: { renditions?: boolean } = {},
): number {
  const layout = new StorageLayout(dataDir);
  const made = new Set<string>();
  const ensureDir = (dir: string) => {
    if (made.has(dir)) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    made.add(dir);
  };
  let linked = 0;
  for (const row of sqlite
    .prepare('SELECT id, public_id, content_hash, original_extension FROM photos ORDER BY id')
    .iterate() as Iterable<PhotoFilesRow>) {
    const seed = seeds[(row.id - 1) % seeds.length] as SeedFiles;
    const original = layout.originalPath(row.content_hash, row.original_extension);
    ensureDir(path.dirname(original));
    place(seed.original, original);
    if (options.renditions ?? true) {
      const dir = layout.derivedDirFor(row.public_id);
      ensureDir(dir);
      for (const [name, source] of seed.renditions) place(source, path.join(dir, name));
    }
    linked++;
  }
  return linked;
}
