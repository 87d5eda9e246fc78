import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/log.ts';
import { Supervisor } from '../src/processes/supervisor.ts';
import { openStore } from '../src/storage/open-store.ts';
import { makeTempDir } from './helpers/server.ts';

const CRASHING_SERVER = fileURLToPath(new URL('./fixtures/processes/crashing-server.ts', import.meta.url));

describe('the supervisor', () => {
  it('starts a process that exits again, each time a little later, and stops the server past five crashes in a row', async () => {
    cluster.setupPrimary({ exec: CRASHING_SERVER, execArgv: ['--import', 'tsx'], silent: true });
    const store = await openStore({ dataDir: await makeTempDir() }, { create: true });
    const lines: { time: number; msg: string; crashesInRow?: number }[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
          done();
        },
      }),
    );
    let giveUp: (reason: string) => void = () => {};
    const gaveUp = new Promise<string>((resolve) => {
      giveUp = resolve;
    });
    const supervisor = new Supervisor({ processes: 1, store, logger, shutdownGraceMs: 1_000, onStopAsked: () => {}, onGiveUp: giveUp });
    try {
      await supervisor.start();
      assert.match(await gaveUp, /exited 6 times in a row, each within 30 s of its start/);
      const exits = lines.filter((line) => line.msg === 'a server process exited; starting another in its place');
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
});
