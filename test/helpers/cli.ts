import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const LIGHTBOX_BIN = fileURLToPath(new URL('../../bin/lightbox.js', import.meta.url));
export const FIXTURE_PHOTOS = fileURLToPath(new URL('../fixtures/photos', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `lightbox` command in its own process, as a user's shell would; `input` is piped to its stdin; `entry` as for spawnServer. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  input?: string,
  entry = LIGHTBOX_BIN,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: REPO_ROOT,
      // One server process unless a test asks for more (LIGHTBOX_PROCESSES=auto forks one per core).
      env: { ...process.env, LOG_LEVEL: 'silent', LIGHTBOX_PROCESSES: '1', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Resolves when the server has logged `times` lines with this message (from now on or before). */
  logged(message: string, times?: number): Promise<void>;
  /** Everything it wrote so far: logs on stdout, words for a person on stderr. */
  output(): { stdout: string; stderr: string };
}

/**
 * Starts `lightbox serve` as its own process (debug logs on stdout) and resolves once it prints its
 * address; `entry` is the script run instead of bin/lightbox.js (a compiled main.js).
 */
export function spawnServer(dataDir: string, env: Record<string, string> = {}, entry = LIGHTBOX_BIN): Promise<SpawnedServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, 'serve'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LIGHTBOX_DATA_DIR: dataDir,
        LOG_LEVEL: 'debug',
        LIGHTBOX_PROCESSES: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    let out = '';
    const waiting: { message: string; times: number; done: () => void }[] = [];
    const settle = () => {
      for (const waiter of [...waiting]) {
        if (out.split(`"msg":"${waiter.message}"`).length - 1 < waiter.times) continue;
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.done();
      }
    };
    const logged = (message: string, times = 1) =>
      new Promise<void>((done) => {
        waiting.push({ message, times, done });
        settle();
      });
    let started = false;
    let said = '';
    // Piped, logs are JSON lines on stdout and the banner is on stderr.
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      settle();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      said += chunk;
      const match = /GraphiQL at (http:\/\/[^/\s]+)\/graphql/.exec(said);
      if (match?.[1] && !started) {
        started = true;
        resolve({ child, url: match[1], exited, logged, output: () => ({ stdout: out, stderr: said }) });
      }
    });
    child.once('error', reject);
    setTimeout(() => reject(new Error(`server did not start: ${said} ${out}`)), 30_000).unref();
  });
}
