import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's libheif-examples: native libheif, used to make HEIF test files and as the reference decoder. */
export const heifToolsInstalled = ['/usr/bin/heif-enc', '/usr/bin/heif-convert', '/usr/bin/heif-info'].every((tool) => existsSync(tool));

/** Skipped on a developer's machine without them; CI installs them (.ci/run), so there it always runs. */
export const heifToolsSkip =
  heifToolsInstalled || process.env.CI ? false : 'libheif-examples is not installed (apt-get install libheif-examples)';

function needTools(): void {
  if (!heifToolsInstalled) throw new Error('heif-enc/heif-convert are missing: apt-get install -y libheif-examples (Debian)');
}

/** `heif-enc`: encodes JPEG or PNG inputs (several make several top-level images, the first primary). */
export async function heifEnc(inputs: string[], output: string, options: string[] = []): Promise<void> {
  needTools();
  await run('heif-enc', [...options, '-o', output, ...inputs]);
}

/** `heif-convert`: native libheif's decode of the primary image (transforms applied), as PNG. */
export async function heifConvert(input: string, output: string): Promise<void> {
  needTools();
  await run('heif-convert', [input, output]);
  // A file of several top-level images comes out as <name>-1.png, <name>-2.png…, the primary first.
  const first = output.replace(/\.png$/, '-1.png');
  if (!existsSync(output) && existsSync(first)) await rename(first, output);
}

/** `heif-info`: what native libheif reads of a file (its images, their metadata items), as it prints it. */
export async function heifInfo(input: string): Promise<string> {
  needTools();
  const { stdout } = await run('heif-info', [input]);
  return stdout;
}
