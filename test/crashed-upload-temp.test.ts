import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdirSync, watch } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { it } from 'node:test';
import { tempPath } from '../src/storage/atomic.ts';
import { FIXTURE_PHOTOS, runCli, spawnServer } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';
import { untilEvent } from './helpers/wait.ts';

const BOUNDARY = 'lightbox-crash-test';

/** Starts an admin upload of a big file and sends half of it; the socket stays open, as a slow client's would. */
function halfAnUpload(url: string, token: string, jpeg: Buffer): Socket {
  const operations = JSON.stringify({
    query: 'mutation ($files: [File!]!) { uploadPhotos(files: $files) { __typename } }',
    variables: { files: [null] },
  });
  const head = [
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.files.0"]}\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  ].join('');
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1', () => {
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\ngraphql-preflight: 1\r\n` +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${head.length + jpeg.length * 4}\r\n\r\n${head}`,
    );
    socket.write(jpeg);
  });
  socket.on('error', () => undefined);
  return socket;
}

/** The first file to appear in `dir`: looked for at once, then each time the directory changes (inotify), never on a timer. */
async function firstFileIn(dir: string, what: string, timeoutMs = 20_000): Promise<string> {
  const changes = new EventEmitter();
  const watcher = watch(dir, () => changes.emit('change'));
  try {
    let found: string | undefined;
    const appeared = () => {
      found = readdirSync(dir)[0];
      return found !== undefined;
    };
    await untilEvent(changes, 'change', appeared, what, timeoutMs);
    return found as string;
  } finally {
    watcher.close();
  }
}

it('a server killed mid-upload: verify names its temp file, and the next start removes it at once (a live writer’s stays)', async () => {
  const dataDir = await makeTempDir();
  const tempDir = path.join(dataDir, 'tmp');
  const token = 'crash-test-admin-token-0123456789';
  const jpeg = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'));
  const server = await spawnServer(dataDir, { LIGHTBOX_ADMIN_TOKEN: token, LIGHTBOX_WORKERS: '0', LOG_LEVEL: 'warn' });
  const socket = halfAnUpload(server.url, token, jpeg);
  const crashed = await firstFileIn(tempDir, 'the upload to reach tmp/');
  server.child.kill('SIGKILL');
  await server.exited;
  socket.destroy();

  // This process is alive and writes a temp file of its own, as a running `lightbox import` would.
  const live = tempPath(tempDir);
  await writeFile(live, 'an import in progress');

  const verified = await runCli(['verify'], { LIGHTBOX_DATA_DIR: dataDir });
  assert.equal(verified.code, 0, 'a dead writer’s temp file is no damage');
  assert.match(
    verified.stdout,
    new RegExp(`1 temp files in tmp/ were left by an interrupted upload, import or render .*\\n {2}tmp/${crashed}: its writer is gone`),
  );

  const again = await spawnServer(dataDir, { LIGHTBOX_ADMIN_TOKEN: token, LIGHTBOX_WORKERS: '0', LOG_LEVEL: 'warn' });
  try {
    assert.deepEqual(await readdir(tempDir), [path.basename(live)], 'the crashed upload’s file went at start; the live one stays');
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
  const clean = await runCli(['verify'], { LIGHTBOX_DATA_DIR: dataDir });
  assert.match(clean.stdout, /no temp file is left in tmp\/ by an interrupted write/);
});
