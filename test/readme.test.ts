import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../src/cli/commands.ts';
import { REPO_ROOT } from './helpers/cli.ts';

async function read(file: string): Promise<string> {
  return readFile(path.join(REPO_ROOT, file), 'utf8');
}

function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start !== -1, `README has a "${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README matches the code', () => {
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

  it('names every source file in the layout', async () => {
    const layout = section(await read('README.md'), 'How it is built');
    const block = layout.slice(layout.indexOf('```'), layout.indexOf('```', layout.indexOf('```') + 3));
    const files = (await readdir(path.join(REPO_ROOT, 'src'), { recursive: true })).filter((file) => file.endsWith('.ts'));
    for (const file of files) {
      const folder = path.dirname(file);
      assert.match(block, new RegExp(`\\b${path.basename(file).replace('.', '\\.')}\\b`), file);
      if (folder !== '.') assert.match(block, new RegExp(`^  ${folder}/`, 'm'), `${folder}/`);
    }
  });
});
