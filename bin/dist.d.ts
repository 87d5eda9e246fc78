export interface SourceTree {
  srcDir: string;
  distDir: string;
}
export const REPO_DIR: string;
export const SOURCES: SourceTree;
export const STAMP_FILE: string;
export function sourceStamp(srcDir: string): string;
export function distIsFresh(tree: SourceTree): boolean;
