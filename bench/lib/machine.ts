import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';

/** Server on core 0, load generator on core 1, when the machine has two cores to give. */
export const pinning: { server?: string; load?: string } = availableParallelism() >= 2 ? { server: '0', load: '1' } : {};

function versionOf(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function machineDescription(extraPackages: string[] = []): string {
  const packages = ['better-sqlite3', 'sharp', 'graphql-yoga', 'drizzle-orm', ...extraPackages];
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- node: ${process.version}`,
    `- packages: ${packages.map((name) => `${name} ${versionOf(name)}`).join(', ')}`,
    `- pinning: ${pinning.server === undefined ? 'none (one core)' : `server on CPU ${pinning.server}, load generator on CPU ${pinning.load}`}`,
  ].join('\n');
}
