import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type RunningLightbox, type StartOptions, startLightbox } from '../../src/app.ts';
import { loadConfig, type StorageConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { freshBucket } from './swift.ts';
import { untilEvent } from './wait.ts';

export interface TestServer {
  url: string;
  dataDir: string;
  /** Headers that make a request the admin's. */
  admin: { authorization: string };
  app: RunningLightbox;
  /** Every log line the server wrote at `LOG_LEVEL` (silent unless the test sets it), parsed. */
  logs: { level: number; msg: string }[];
  /** Resolves once `count` lines with this message have been logged in all (already or from now on). */
  logged(message: string, count: number): Promise<void>;
  /**
   * Resolves once `condition` holds, asked at once and each time the in-process worker writes a
   * job's outcome (start the server with LIGHTBOX_WORKERS); fails after `timeoutMs`, naming `what`.
   */
  afterJobs(condition: () => boolean, what: string | (() => string), timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const madeDirs = new Set<string>();
// Each test file runs in its own process: whatever a test forgot, its temp dirs go when the file ends.
process.once('exit', () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits (or earlier, by whoever made it). */
export async function makeTempDir(label = 'lightbox-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), label));
  madeDirs.add(dir);
  return dir;
}

/**
 * LIGHTBOX_TEST_STORAGE=swift runs a test file's servers on buckets (each its own) of a Swift the
 * process starts once (test/helpers/swift.ts): how a test written for the local disk is run
 * against object storage too (test/access-table-s3.test.ts). Unset, servers use the data dir.
 */
const TEST_STORAGE = process.env.LIGHTBOX_TEST_STORAGE;
const storageEnvs = new Map<string, Record<string, string>>();

/** The storage a test server's data dir was started with, for helpers that open it beside the server (helpers/library.ts). */
export function storageOf(dataDir: string): StorageConfig {
  return loadConfig(storageEnvs.get(path.resolve(dataDir)) ?? {}).storage;
}

/** A real Lightbox on 127.0.0.1, port 0, over a fresh temp data dir (or the given one), removed on close. */
export async function startTestServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const dataDir = env.LIGHTBOX_DATA_DIR ?? (await makeTempDir());
  if (TEST_STORAGE === 'swift' && env.LIGHTBOX_STORAGE === undefined) env = { ...(await freshBucket()).env, ...env };
  if (env.LIGHTBOX_STORAGE !== undefined) storageEnvs.set(path.resolve(dataDir), env);
  const adminToken = randomBytes(24).toString('base64url');
  const config = loadConfig({
    LIGHTBOX_ADMIN_TOKEN: adminToken,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    // Processing is switched on by the tests about it; elsewhere it would write while tests compare.
    LIGHTBOX_WORKERS: '0',
    ...env,
    LIGHTBOX_DATA_DIR: dataDir,
  });
  const logs: { level: number; msg: string }[] = [];
  const written = new EventEmitter();
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line));
      written.emit('line');
      done();
    },
  });
  const logged = (message: string, count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (logs.filter((line) => line.msg === message).length < count) return;
        written.off('line', check);
        resolve();
      };
      written.on('line', check);
      check();
    });
  const jobs = new EventEmitter();
  const afterJobs = (condition: () => boolean, what: string | (() => string), timeoutMs = 180_000) =>
    untilEvent(jobs, 'settled', condition, what, timeoutMs);
  const app = await startLightbox(config, createLogger(config.logLevel, capture), {
    ...options,
    onJobSettled: (job) => {
      options.onJobSettled?.(job);
      jobs.emit('settled');
    },
  });
  return {
    url: `http://127.0.0.1:${app.port}`,
    dataDir,
    admin: { authorization: `Bearer ${config.auth.adminToken}` },
    app,
    logs,
    logged,
    afterJobs,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
