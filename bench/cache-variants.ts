// `npm run bench:caches`: one git worktree of HEAD per cache with that cache turned off (a one-line
// change each, listed below), for `npm run bench -- --against` to measure each cache's gain in the
// same run as the code that keeps it. A change that no longer applies fails loudly: the cache
// moved, and this table (and docs/performance.md) must follow it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Change = [file: string, from: string, to: string];

/** Each cache, and the change that turns it off. */
export const CACHES_OFF: Record<string, Change[]> = {
  'stored-answers': [
    [
      'src/graphql/stored-answers.ts',
      'if (key.version !== this.version) return undefined;',
      'if (key.version !== this.version || key.version === key.version) return undefined;',
    ],
  ],
  'prepared-statements': [
    ['src/db/statements.ts', 'let read = this.statements.get(text);', "let read = text === '' ? this.statements.get(text) : undefined;"],
  ],
  'stored-texts': [
    [
      'src/graphql/stored-answers.ts',
      'return this.textsOf(method)?.get(text);',
      "return method === '' ? this.textsOf(method)?.get(text) : undefined;",
    ],
  ],
  'handed-out-signatures': [
    [
      'src/images/url-signing.ts',
      '  let kept = handedOut.get(secret);\n',
      "  if (secret !== '') return hmac(secret, signedText(signed));\n  let kept = handedOut.get(secret);\n",
    ],
  ],
  'global-ids': [
    [
      'src/graphql/global-ids.ts',
      '  let encoded = encodedByType.get(typename);\n',
      "  if (typename !== '') return encodeGlobalID(typename, id);\n  let encoded = encodedByType.get(typename);\n",
    ],
  ],
  'compiled-queries': [
    [
      'src/graphql/compiled-queries.ts',
      "if (extensionsAsk(params.extensions) !== 'nothing') return undefined;",
      'if (params !== null) return undefined;',
    ],
  ],
  'graphql-jit': [
    [
      'src/graphql/document-memory.ts',
      'if (entry === undefined) return null;\n    const name',
      'if (entry !== null) return null;\n    const name',
    ],
  ],
  'record-memory': [['src/graphql/record-memory.ts', 'if (!remembered) return make();', 'if (remembered || !remembered) return make();']],
  'reads-made': [
    [
      'src/db/statements.ts',
      'if (version === undefined) return make(rows);',
      'if (version === undefined || version !== undefined) return make(rows);',
    ],
  ],
  'rendered-columns': [
    [
      'src/catalog/photo-records.ts',
      'const rendered = new Map<string, SQL>();',
      'const rendered = { get: (_key: string): SQL | undefined => undefined, set: (_key: string, _value: SQL) => undefined };',
    ],
    [
      'src/catalog/album-records.ts',
      'const selects = new Map<string, AlbumSelect>();',
      'const selects = { get: (_key: string): AlbumSelect | undefined => undefined, set: (_key: string, _value: AlbumSelect) => undefined };',
    ],
  ],
  'remembered-rows': [
    ['src/http/server.ts', 'new PreparedReads(database.sqlite, config.graphql.readCache)', 'new PreparedReads(database.sqlite, false)'],
  ],
  'photo-file-rows': [
    [
      'src/catalog/photo-files.ts',
      'const kept = this.remembered.find(publicId);',
      "const kept = publicId === '' ? this.remembered.find(publicId) : undefined;",
    ],
  ],
  'file-validators': [
    ['src/http/validators.ts', 'const known = this.files.find(path);', "const known = path === '' ? this.files.find(path) : undefined;"],
  ],
  'not-modified-headers': [
    [
      'src/http/image-route.ts',
      'const kept = uniform ? file.notModified : undefined;',
      'const kept = uniform && !uniform ? file.notModified : undefined;',
    ],
  ],
};

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Makes the worktrees (under the temp dir) and prints them comma-separated, for --against. */
function main(names: string[]): void {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  const roots: string[] = [];
  for (const name of names) {
    const changes = CACHES_OFF[name];
    if (changes === undefined) throw new Error(`no such cache: ${name} (known: ${Object.keys(CACHES_OFF).join(', ')})`);
    const root = path.join(tmpdir(), `lightbox-without-${name}`);
    if (existsSync(root)) execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: repo });
    rmSync(root, { recursive: true, force: true });
    execFileSync('git', ['worktree', 'add', '--force', '--detach', root, head], { cwd: repo, stdio: 'ignore' });
    symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
    for (const [file, from, to] of changes) {
      const source = readFileSync(path.join(root, file), 'utf8');
      if (source.split(from).length !== 2) throw new Error(`${name}: the change no longer applies to ${file}: ${from}`);
      writeFileSync(path.join(root, file), source.replace(from, to));
    }
    roots.push(root);
  }
  process.stdout.write(`${roots.join(',')}\n`);
}

main(process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(CACHES_OFF));
