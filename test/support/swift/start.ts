import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../../bench/lib/ports.ts';

// The SDK's "newer versions will need Node 22" notice, once per process, is noise in every test and bench run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SUPERVISOR = fileURLToPath(new URL('./supervise.py', import.meta.url));
/** Debian's Python, which Debian's Swift packages are installed for (a pyenv or venv python3 earlier on PATH has no swift module). */
const PYTHON = '/usr/bin/python3';
export const SWIFT_PACKAGES = 'swift swift-proxy swift-object swift-container swift-account memcached';
const STARTUP_TIMEOUT_MS = 90_000;
const READY_PROBE_BUCKET = 'lightbox-ready-probe';

/** What an S3 client needs to reach the Swift a test started: tempauth's test user, path-style, us-east-1. */
export interface StartedSwift {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The environment a Lightbox uses the bucket through (LIGHTBOX_STORAGE and the rest). */
  env(bucket: string, prefix?: string): Record<string, string>;
  /** A new, empty bucket. */
  createBucket(name: string): Promise<void>;
  /** A client of this Swift, as Lightbox makes its own (the two settings Swift needs). */
  client(): S3Client;
  stop(): Promise<void>;
}

/** Why Swift cannot be started here, or undefined when it can: its packages are Debian's. */
export function swiftMissing(): string | undefined {
  if (!existsSync(PYTHON) || !existsSync('/usr/bin/memcached')) return `apt-get install -y ${SWIFT_PACKAGES}`;
  const probe = spawnSync(PYTHON, ['-c', 'import swift.proxy.server, swift.obj.server, swift.common.middleware.s3api'], {
    stdio: 'ignore',
  });
  return probe.status === 0 ? undefined : `apt-get install -y ${SWIFT_PACKAGES}`;
}

/**
 * Starts a single-replica Swift with its S3 API on free loopback ports (supervise.py), state in
 * a fresh temp dir. It stops when `stop` is called, and by itself when this process goes away
 * (the supervisor dies with its parent, its servers with it). About 6 s and 230 MB: one per
 * test file.
 */
export async function startSwift(): Promise<StartedSwift> {
  const work = await mkdtemp(path.join(tmpdir(), 'lightbox-swift-'));
  const ports = {
    account: await freePort(),
    container: await freePort(),
    object: await freePort(),
    proxy: await freePort(),
    memcached: await freePort(),
  };
  const child = spawn(PYTHON, [SUPERVISOR, work, JSON.stringify(ports)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await ready(child);
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  // Never what keeps a test process alive: the supervisor stops with it (stop() is the polite way).
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  const endpoint = `http://127.0.0.1:${ports.proxy}`;
  const credentials = { accessKeyId: 'test:tester', secretAccessKey: 'testing' };
  const client = () =>
    new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 5,
    });
  const admin = client();
  try {
    await untilWritable(admin, Date.now() + STARTUP_TIMEOUT_MS);
  } catch (error) {
    admin.destroy();
    child.ref();
    child.kill('SIGTERM');
    await exited;
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint,
    region: 'us-east-1',
    ...credentials,
    env: (bucket, prefix) => ({
      LIGHTBOX_STORAGE: prefix === undefined ? `s3://${bucket}` : `s3://${bucket}/${prefix}`,
      LIGHTBOX_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
    }),
    createBucket: async (name) => {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    client,
    stop: async () => {
      admin.destroy();
      // Referenced again: waiting for its exit must keep this process alive until it comes.
      child.ref();
      child.kill('SIGTERM');
      await exited;
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * The proxy's healthcheck answers before the account and container servers behind it take
 * writes: on a loaded machine the first bucket made after it can be a 503 ("Please reduce your
 * request rate"). Ready means a bucket can be made and removed.
 */
async function untilWritable(admin: S3Client, deadline: number): Promise<void> {
  for (;;) {
    try {
      await admin.send(new CreateBucketCommand({ Bucket: READY_PROBE_BUCKET }));
      await admin.send(new DeleteBucketCommand({ Bucket: READY_PROBE_BUCKET }));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Swift did not take writes within ${STARTUP_TIMEOUT_MS} ms: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => reject(new Error(`Swift did not start within ${STARTUP_TIMEOUT_MS} ms: ${said}`)), STARTUP_TIMEOUT_MS);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (!chunk.includes('ready')) return;
      clearTimeout(timer);
      resolve();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      said += chunk;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Swift stopped before it was ready (exit ${code}): ${said}`));
    });
  });
}
