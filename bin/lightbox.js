#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step between `npm install` and `npx lightbox`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
