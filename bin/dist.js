// The compiled copy of src/ that bin/lightbox.js runs: dist/ holds the same tree as plain JavaScript
// (so every path a module reads beside itself, ../package.json and ../../drizzle included, is the
// same), with a stamp of the sources it was built from. A stamp that no longer matches means the
// sources changed since, and the copy is not used.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SOURCES = { srcDir: path.join(REPO_DIR, 'src'), distDir: path.join(REPO_DIR, 'dist') };
export const STAMP_FILE = 'built-from.txt';

/** Every file under srcDir by its relative path, size and modification time: a rename, an edit or a new file changes it. */
export function sourceStamp(srcDir) {
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${path.relative(srcDir, file)}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Whether distDir was built from srcDir as it is now. */
export function distIsFresh({ srcDir, distDir }) {
  let built;
  try {
    built = readFileSync(path.join(distDir, STAMP_FILE), 'utf8');
  } catch {
    return false;
  }
  return built === sourceStamp(srcDir);
}
