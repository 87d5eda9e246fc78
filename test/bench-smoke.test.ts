import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';
import { swiftMissing } from './support/swift/start.ts';

const hasWrk = spawnSync('wrk', ['--version']).error === undefined;

it('npm run bench still runs end to end (tiny durations; speed is not asserted)', {
  // Skipped on a developer's machine without wrk; CI installs it (.ci/run), so there it always runs.
  skip: hasWrk || process.env.CI ? false : 'wrk is not installed (apt-get install wrk)',
}, async () => {
  assert.ok(hasWrk, 'wrk is not installed: apt-get install wrk (Debian/Ubuntu)');
  const output = path.join(await makeTempDir('lightbox-bench-smoke-'), 'latest.md');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run.ts',
        '--seconds',
        '1',
        '--rounds',
        '1',
        '--connections',
        '4',
        '--cases',
        'revalidation',
        // The scale section on libraries small enough for a smoke run.
        '--scale-sizes',
        '1000,2000',
        '--scale-import-photos',
        '1',
        // An album download of 20 MB rather than 1 GB.
        '--zip-photos',
        '4',
        // The object-storage section's libraries of 10 photos rather than 100.
        '--storage-photos',
        '10',
        '--output',
        output,
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    child.once('error', reject);
    child.once('close', resolve);
  });
  assert.equal(code, 0);
  const report = await readFile(output, 'utf8');
  // nginx is measured only where it is installed; the node peers always are.
  for (const server of ['Lightbox', 'sirv', 'bare stat\\+md5', '@fastify/static', 'serve-static'])
    assert.match(report, new RegExp(`\\| 304, revalidation [^\\n]*\\| ${server} \\|`));
  assert.match(report, /\| response cache 304 \(GET, If-None-Match\) \| [\d,]+ \|/);
  assert.match(report, /\| 304, revalidation [^\n]*\| 2 processes, round-robin \(the default\) \| [\d,]+ \|[^\n]*\| [\d.]+× \| [\d.]+× \|/);
  assert.match(report, /\| WAL \| [\d,]+ \|/);
  assert.match(report, /\| DELETE \| [\d,]+ \|/);
  assert.match(report, /\| Lightbox renderer \(to disk, atomically\) \| [\d.,]+ \| [\d.]+× \|/);
  assert.match(report, /\| photos\(first: 50\) \+ totalCount \| anonymous \| [\d.]+ \([\d.]+\) \| [\d.]+ \([\d.]+\) \| [\d.]+× \|/);
  assert.match(report, /\| during an import \| [\d,]+ \| [\d.]+ \|/);
  assert.match(report, /\| 100 subscribers, the last to hear of each commit \| [\d.]+ ms \| [\d.]+ ms \|/);
  assert.match(report, /\| 4 photos × 5 MB, admin \(untouched files\) \| 20 MB \|[^\n]*\| passes: no errors detected \|/);
  // Swift is measured where it is installed (in CI always: .ci/run installs it).
  if (swiftMissing() === undefined || process.env.CI)
    assert.match(report, /\| 304, revalidation \(thumb\.webp, no \?v=\) \| [\d,]+ \| [\d,]+ \| [\d.]+× \(cost [\d.]+×\) \| 0 \|/);
  assert.doesNotMatch(report, /errors\)/, 'every request got the answer it expected');
});
