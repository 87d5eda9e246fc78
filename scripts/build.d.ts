import type { SourceTree } from '../bin/dist.js';
export function buildDist(tree: SourceTree): Promise<void>;
