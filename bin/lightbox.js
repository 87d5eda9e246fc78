#!/usr/bin/env node
// Runs dist/, the compiled copy of src/ that `npm install` and `npm start` build, when it was built
// from the sources as they are now; otherwise (sources edited since, or LIGHTBOX_FROM_SOURCES=1) the
// TypeScript sources themselves through tsx, so what runs is always what src/ says.
import { distIsFresh, SOURCES } from './dist.js';

if (process.env.LIGHTBOX_FROM_SOURCES !== '1' && distIsFresh(SOURCES)) {
  await import('../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
