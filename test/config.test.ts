import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { autoProcessCount, loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';
import { configForProcess } from '../src/processes/process-share.ts';
import { runCli } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    assert.equal(config.http.port, 4000);
    assert.equal(config.dataDir, path.resolve('data'));
    assert.equal(config.logLevel, 'info');
    assert.equal(config.graphql.serverTiming, true);
  });

  it('LIGHTBOX_PROCESSES: a number, or auto (the default): one per core, one per 512 MB of memory at most', () => {
    assert.equal(loadConfig({ LIGHTBOX_PROCESSES: '3' }).http.processes, 3);
    assert.equal(loadConfig({ LIGHTBOX_PROCESSES: 'auto' }).http.processes, autoProcessCount());
    assert.equal(loadConfig({}).http.processes, autoProcessCount());
    const gib = 1024 ** 3;
    assert.equal(autoProcessCount(16, 64 * gib), 16, 'a big machine: every core');
    assert.equal(autoProcessCount(16, 2 * gib), 4, 'a 16-core NAS with 2 GB: as memory allows');
    assert.equal(autoProcessCount(4, 0.4 * gib), 1, 'never fewer than one');
  });

  it('splits the bounds stated for the whole server between its processes; what bounds one process stays its own', () => {
    const config = loadConfig({ LIGHTBOX_IMAGE_CACHE_MB: '128', LIGHTBOX_RENDER_CONCURRENCY: '3', LIGHTBOX_RENDER_QUEUE: '64' });
    const parts = [0, 1].map((slot) => configForProcess(config, 2, slot));
    assert.equal(
      parts.reduce((sum, part) => sum + part.images.cacheBytes, 0),
      128 * 1024 * 1024,
    );
    assert.deepEqual(
      parts.map((part) => part.images.renderConcurrency),
      [2, 1],
    );
    assert.equal(
      parts.reduce((sum, part) => sum + part.images.renderQueue, 0),
      64,
    );
    assert.equal(configForProcess(config, 8, 7).images.renderConcurrency, 1, 'at least one render each');
    assert.deepEqual(parts[1]?.jobs, config.jobs);
    assert.equal(configForProcess(config, 1, 0), config, 'one process: the whole of each');
  });

  it('keeps LIGHTBOX_PUBLIC_URL without its trailing slash, a path included', () => {
    assert.equal(loadConfig({ LIGHTBOX_PUBLIC_URL: 'https://photos.example.com/' }).http.publicUrl, 'https://photos.example.com');
    assert.equal(loadConfig({ LIGHTBOX_PUBLIC_URL: 'https://example.com/photos/' }).http.publicUrl, 'https://example.com/photos');
    assert.equal(loadConfig({}).http.publicUrl, undefined);
  });

  it('reads LIGHTBOX_STORAGE: local by default, or a bucket and prefix with the S3 settings beside it', () => {
    assert.deepEqual(loadConfig({}).storage, { kind: 'local' });
    const storage = loadConfig({
      LIGHTBOX_STORAGE: 's3://my-photos/lightbox/',
      LIGHTBOX_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
    }).storage;
    assert.deepEqual(storage, {
      kind: 's3',
      location: 's3://my-photos/lightbox',
      bucket: 'my-photos',
      prefix: 'lightbox',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      localCacheBytes: 2048 * 1024 * 1024,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    });
    const aws = loadConfig({ LIGHTBOX_STORAGE: 's3://my-photos', AWS_REGION: 'eu-central-1' }).storage;
    assert.ok(
      aws.kind === 's3' && !aws.forcePathStyle && aws.prefix === '' && aws.region === 'eu-central-1' && aws.credentials === undefined,
    );
  });

  it('names the variable at fault', () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: 'abc' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ LIGHTBOX_WORKERS: '-1' }, 'LIGHTBOX_WORKERS'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ LIGHTBOX_ADMIN_TOKEN: 'short' }, 'LIGHTBOX_ADMIN_TOKEN'],
      [{ LIGHTBOX_SERVER_TIMING: 'maybe' }, 'LIGHTBOX_SERVER_TIMING'],
      [{ LIGHTBOX_CORS_ORIGINS: 'https://app.example/path' }, 'LIGHTBOX_CORS_ORIGINS'],
      [{ LIGHTBOX_CORS_ORIGINS: 'app.example' }, 'LIGHTBOX_CORS_ORIGINS'],
      [{ LIGHTBOX_IMPORT_TIMEOUT_S: '0' }, 'LIGHTBOX_IMPORT_TIMEOUT_S'],
      // Past 8 GiB the bodies' slab would pass Node's largest Buffer.
      [{ LIGHTBOX_IMAGE_CACHE_MB: '8193' }, 'LIGHTBOX_IMAGE_CACHE_MB'],
      [{ LIGHTBOX_PUBLIC_URL: 'photos.example.com' }, 'LIGHTBOX_PUBLIC_URL'],
      [{ LIGHTBOX_PUBLIC_URL: 'ftp://photos.example.com' }, 'LIGHTBOX_PUBLIC_URL'],
      [{ LIGHTBOX_PUBLIC_URL: 'https://photos.example.com/?a=1' }, 'LIGHTBOX_PUBLIC_URL'],
      [{ LIGHTBOX_PUBLIC_URL: 'https://me:pw@photos.example.com' }, 'LIGHTBOX_PUBLIC_URL'],
      [{ LIGHTBOX_STORAGE: 'bucket' }, 'LIGHTBOX_STORAGE'],
      [{ LIGHTBOX_STORAGE: 's3://No_Such_Name' }, 'LIGHTBOX_STORAGE'],
      [{ LIGHTBOX_STORAGE: 's3://photos/a/../b' }, 'LIGHTBOX_STORAGE'],
      [{ LIGHTBOX_STORAGE: 's3://photos', LIGHTBOX_S3_ENDPOINT: 'minio:9000' }, 'LIGHTBOX_S3_ENDPOINT'],
      [{ LIGHTBOX_STORAGE: 's3://photos', LIGHTBOX_LOCAL_CACHE_MB: '100' }, 'LIGHTBOX_LOCAL_CACHE_MB'],
      [{ LIGHTBOX_STORAGE: 's3://photos', AWS_ACCESS_KEY_ID: 'AKIA…' }, 'AWS_SECRET_ACCESS_KEY'],
      [{ LIGHTBOX_STORAGE: 's3://photos', LIGHTBOX_S3_PATH_STYLE: 'sometimes' }, 'LIGHTBOX_S3_PATH_STYLE'],
      [{ LIGHTBOX_PROCESSES: '0' }, 'LIGHTBOX_PROCESSES'],
      [{ LIGHTBOX_PROCESSES: '65' }, 'LIGHTBOX_PROCESSES'],
      [{ LIGHTBOX_PROCESSES: 'many' }, 'LIGHTBOX_PROCESSES'],
    ];
    for (const [env, variable] of cases) {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && error.variable === variable,
      );
    }
  });

  it('a bad PORT exits non-zero with one line and no stack trace', async () => {
    const dataDir = await makeTempDir();
    const result = await runCli(['serve'], { PORT: 'abc', LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /PORT/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('a data dir that cannot be created exits non-zero naming LIGHTBOX_DATA_DIR', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const result = await runCli(['serve'], { PORT: '0', LIGHTBOX_DATA_DIR: path.join(file, 'data') });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /LIGHTBOX_DATA_DIR: cannot create .*ENOTDIR/);
  });
});
