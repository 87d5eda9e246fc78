import assert from 'node:assert/strict';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../src/cli/commands.ts';
import { REPO_ROOT } from './helpers/cli.ts';

const MAX_README_LINES = 250;

async function read(file: string): Promise<string> {
  return readFile(path.join(REPO_ROOT, file), 'utf8');
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start !== -1, `README has a "${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

function firstCodeBlock(markdown: string): string {
  const start = markdown.indexOf('```');
  assert.ok(start !== -1, 'the section has a code block');
  const end = markdown.indexOf('```', start + 3);
  return markdown.slice(start, end === -1 ? undefined : end);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every folder under src/ that holds a file, relative to it, with forward slashes: `http`, `http/web`, `http/web/assets`, … */
async function sourceFolders(): Promise<string[]> {
  const files = await readdir(path.join(REPO_ROOT, 'src'), { recursive: true });
  const folders = new Set<string>();
  for (const file of files) {
    for (let folder = path.dirname(file); folder !== '.'; folder = path.dirname(folder)) folders.add(folder.split(path.sep).join('/'));
  }
  return [...folders].sort();
}

describe('README matches the code', () => {
  it(`is at most ${MAX_README_LINES} lines`, async () => {
    const readme = await read('README.md');
    const lines = readme.endsWith('\n') ? readme.split('\n').length - 1 : readme.split('\n').length;
    assert.ok(lines <= MAX_README_LINES, `README.md has ${lines} lines; move the depth to docs/`);
  });

  it('documents every environment variable config.ts reads', async () => {
    const source = await read('src/config.ts');
    const variables = new Set(source.match(/\b(?:LIGHTBOX_[A-Z_]+|PORT|HOST|LOG_LEVEL|NODE_ENV)\b/g));
    assert.ok(variables.size >= 20, `found ${variables.size} variables`);
    const table = section(await read('README.md'), 'Configuration');
    for (const variable of variables) assert.match(table, new RegExp(`^\\| \`${variable}\` \\|`, 'm'), variable);
  });

  it('documents every command the command line has', async () => {
    const commands = COMMANDS.map((command) => command.name);
    assert.ok(commands.length >= 8, `found ${commands.join(', ')}`);
    const table = section(await read('README.md'), 'Command line');
    for (const command of [...commands, 'help']) assert.match(table, new RegExp(`^\\| \`${command}\\b`, 'm'), command);
  });

  it('names every top-level folder of src/ in its layout', async () => {
    const layout = firstCodeBlock(section(await read('README.md'), 'Layout'));
    const folders = (await sourceFolders()).filter((folder) => !folder.includes('/'));
    assert.ok(folders.length >= 8, `found ${folders.join(', ')}`);
    for (const folder of folders) assert.match(layout, new RegExp(`^ +${escapeRegExp(folder)}/`, 'm'), `${folder}/`);
  });

  it('links only to files that exist', async () => {
    const readme = await read('README.md');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => (match[1] as string).split('#')[0] as string)
      .filter((target) => target !== '' && !/^[a-z]+:/i.test(target));
    assert.ok(
      targets.some((target) => target.startsWith('docs/')),
      'README links to docs/',
    );
    for (const target of new Set(targets)) {
      await assert.doesNotReject(access(path.join(REPO_ROOT, target)), `README links to ${target}, which does not exist`);
    }
  });
});

describe('docs/architecture.md matches the code', () => {
  it('names every folder of src/, nested ones included', async () => {
    const architecture = await read('docs/architecture.md');
    const folders = await sourceFolders();
    assert.ok(folders.includes('http/web'), `found ${folders.join(', ')}`);
    for (const folder of folders) {
      assert.match(architecture, new RegExp(`(?:^|[\\s\`(]|src/)${escapeRegExp(folder)}/`, 'm'), `${folder}/`);
    }
  });
});
