import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.ts';
import { Supervisor } from '../src/processes/supervisor.ts';
import { openStore } from '../src/storage/open-store.ts';
import { makeTempDir } from './helpers/server.ts';

const CRASHING_SERVER = fileURLToPath(new URL('./fixtures/processes/crashing-server.ts', import.meta.url));
const HANGING_SERVER = fileURLToPath(new URL('./fixtures/processes/hanging-server.ts', import.meta.url));
const PHOTO_CRASHING_SERVER = fileURLToPath(new URL('./fixtures/processes/photo-crashing-server.ts', import.meta.url));

/** What the supervisor logs, parsed, and a logger that writes there. */
function capturedLogs() {
  const lines: {
    time: number;
    msg: string;
    pid?: number;
    silentMs?: number;
    crashesInRow?: number;
    jobCrashesInRow?: number;
    heldJobs?: boolean;
  }[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { lines, logger };
}

/** The file's text once it exists (within 30 s). */
async function readFileWhenThere(file: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const EXITED = 'a server process exited; starting another in its place';

describe('the supervisor', () => {
  it('starts a process that exits again, each time a little later, and stops the server past five crashes in a row', async () => {
    cluster.setupPrimary({ exec: CRASHING_SERVER, execArgv: ['--import', 'tsx'], silent: true });
    const store = await openStore({ dataDir: await makeTempDir() }, { create: true });
    const { lines, logger } = capturedLogs();
    let giveUp: (reason: string) => void = () => {};
    const gaveUp = new Promise<string>((resolve) => {
      giveUp = resolve;
    });
    const supervisor = new Supervisor({ processes: 1, store, logger, shutdownGraceMs: 1_000, onStopAsked: () => {}, onGiveUp: giveUp });
    try {
      await supervisor.start();
      assert.match(await gaveUp, /exited 6 times in a row, each within 30 s of its start/);
      const exits = lines.filter((line) => line.msg === EXITED);
      assert.deepEqual(
        exits.map((line) => line.crashesInRow),
        [1, 2, 3, 4, 5, 6],
      );
      // Each restart waited twice as long as the one before: 100 ms, 200 ms, … on top of the process's own start.
      for (let index = 1; index < exits.length; index++) {
        const waited = (exits[index] as { time: number }).time - (exits[index - 1] as { time: number }).time;
        assert.ok(waited >= 100 * 2 ** (index - 1), `restart ${index} came ${waited} ms after the crash before it`);
      }
      const [slot] = supervisor.report().each;
      assert.equal(slot?.restarts, 5);
      assert.equal(slot?.state, 'stopping', 'given up: nothing is started again, the server stops');
    } finally {
      await supervisor.stop();
      store.close();
    }
  });
  it('a lead that dies holding a photo’s job is restarted each time: bad photos fail after their attempts, the server stays up', async () => {
    const dataDir = await makeTempDir();
    cluster.setupPrimary({ exec: PHOTO_CRASHING_SERVER, execArgv: ['--import', 'tsx'], args: [dataDir], silent: true });
    const store = await openStore({ dataDir }, { create: true });
    const sqlite = store.database.sqlite;
    for (const name of ['poison-a', 'poison-b']) {
      const { lastInsertRowid } = sqlite
        .prepare(
          `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height)
           VALUES (?, ?, ?, 1, 'image/jpeg', 'jpg', 1, 1)`,
        )
        .run(name, name, name.padEnd(64, '0'));
      sqlite.prepare("INSERT INTO jobs (photo_id, kind) VALUES (?, 'process')").run(lastInsertRowid);
    }
    const { lines, logger } = capturedLogs();
    let gaveUp: string | undefined;
    const supervisor = new Supervisor({
      processes: 2,
      store,
      logger,
      shutdownGraceMs: 1_000,
      onStopAsked: () => {},
      onGiveUp: (reason) => {
        gaveUp = reason;
      },
    });
    const failedJobs = () => (sqlite.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'FAILED'").get() as { n: number }).n;
    try {
      await supervisor.start();
      const started = Date.now();
      const deadline = Date.now() + 120_000;
      while (failedJobs() < 2 && gaveUp === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(gaveUp, undefined, 'six crashes, each the photo’s: not a broken server');
      assert.equal(failedJobs(), 2, 'each bad photo failed after its three attempts');
      const exits = lines.filter((line) => line.msg === EXITED);
      assert.deepEqual(
        exits.map((line) => [line.heldJobs, line.crashesInRow, line.jobCrashesInRow]),
        Array.from({ length: 6 }, (_, index) => [true, 0, index + 1]),
      );
      assert.ok((exits[0] as { time: number }).time < started, 'the first crash came while the other process was still starting');
      const lead = supervisor.report().each.find((slot) => slot.role === 'lead');
      assert.equal(lead?.restarts, 6);
      assert.equal(lead?.state, 'serving');
    } finally {
      await supervisor.stop();
      store.close();
    }
  });
  it('a process that stops answering (its event loop blocked) is killed and replaced; the one beside it goes on', async () => {
    const dir = await makeTempDir();
    const marker = path.join(dir, 'hung-once');
    cluster.setupPrimary({ exec: HANGING_SERVER, execArgv: ['--import', 'tsx'], args: [marker], silent: true });
    const store = await openStore({ dataDir: path.join(dir, 'data') }, { create: true });
    const { lines, logger } = capturedLogs();
    const supervisor = new Supervisor({
      processes: 2,
      store,
      logger,
      shutdownGraceMs: 1_000,
      onStopAsked: () => {},
      onGiveUp: () => {},
      killUnresponsiveAfterMs: 5_000,
    });
    try {
      await supervisor.start();
      await writeFile(`${marker}.go`, '');
      const hung = Number(await readFileWhenThere(marker));
      const deadline = Date.now() + 60_000;
      const replaced = () => lines.some((line) => line.msg === 'a server process took the place of the one that exited');
      while (!replaced() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const killed = lines.find((line) => line.msg.startsWith('a server process stopped answering'));
      assert.equal(killed?.pid, hung);
      assert.ok((killed?.silentMs ?? 0) > 5_000);
      assert.ok(replaced(), 'a new process took its place');
      const report = supervisor.report();
      assert.deepEqual(
        report.each.map((slot) => slot.state),
        ['serving', 'serving'],
      );
      assert.equal(
        report.each.reduce((sum, slot) => sum + slot.restarts, 0),
        1,
        'only the hung one was replaced',
      );
      assert.ok(!report.each.some((slot) => slot.pid === hung));
    } finally {
      await supervisor.stop();
      store.close();
    }
  });
});
