// Compiles src/ into dist/ for bin/lightbox.js (run by `npm install` and before `npm start`):
// plain JavaScript starts in a fraction of the time tsx takes to transpile every module at each
// start. Each module stays its own file, so commands still load only what they use. Writes into a
// new folder and swaps it in, so a half-written dist/ is never run. `--if-stale` does nothing when
// dist/ was built from the sources as they are.
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { distIsFresh, SOURCES, STAMP_FILE, sourceStamp } from '../bin/dist.js';

/** Every relative import of a .ts module stays an import, of the .js file built beside it. */
const relativeModulesStayModules = {
  name: 'relative-modules-stay-modules',
  setup(onBuild) {
    onBuild.onResolve({ filter: /^\.\.?\// }, ({ path: specifier, kind }) => {
      if (kind === 'entry-point') return undefined;
      return { path: specifier.replace(/\.ts$/, '.js'), external: true };
    });
  },
};

export async function buildDist({ srcDir, distDir }) {
  const stamp = sourceStamp(srcDir);
  const parent = path.dirname(distDir);
  const building = mkdtempSync(path.join(parent, '.dist-building-'));
  try {
    // Browser assets, worker threads written in JavaScript and icons are read as they are.
    cpSync(srcDir, building, { recursive: true, filter: (source) => !source.endsWith('.ts') });
    const entryPoints = readdirSync(srcDir, { recursive: true })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => path.join(srcDir, name));
    await build({
      entryPoints,
      outbase: srcDir,
      outdir: building,
      bundle: true,
      packages: 'external',
      plugins: [relativeModulesStayModules],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    writeFileSync(path.join(building, STAMP_FILE), stamp);
    rmSync(distDir, { recursive: true, force: true });
    renameSync(building, distDir);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    // Another build swapped in its copy first (two `npm start`s at once): that one serves.
    if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') return;
    throw error;
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  if (!(process.argv.includes('--if-stale') && distIsFresh(SOURCES))) await buildDist(SOURCES);
}
