import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { updateAlbum } from '../src/catalog/albums.ts';
import { openDatabase } from '../src/db/client.ts';
import { openStore } from '../src/storage/open-store.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';

describe('the database version that memory is kept under', () => {
  it('moves on every commit, by this connection or another, and only then', async () => {
    const file = path.join(await makeTempDir(), 'version.db');
    const mine = openDatabase(file);
    const other = openDatabase(file);
    try {
      mine.sqlite.exec('CREATE TABLE t (x INTEGER)');
      const start = mine.version();
      assert.equal(mine.version(), start, 'no commit, no change');
      mine.sqlite.prepare('SELECT count(*) FROM t').get();
      assert.equal(mine.version(), start, 'reads are not changes');

      other.sqlite.prepare('INSERT INTO t VALUES (1)').run();
      const afterOther = mine.version();
      assert.notEqual(afterOther, start, 'another connection committed');

      mine.sqlite.prepare('INSERT INTO t VALUES (2)').run();
      const afterMine = mine.version();
      assert.notEqual(afterMine, afterOther, 'this connection committed');

      // Many commits in a row: each one is seen, none is lost between two reads.
      for (let i = 0; i < 50; i++) {
        const before = mine.version();
        (i % 2 === 0 ? other : mine).sqlite.prepare('UPDATE t SET x = x + 1').run();
        assert.notEqual(mine.version(), before, `commit ${i}`);
      }
      // A checkpoint moves pages, not data: it may or may not read as a change, but later commits still do.
      mine.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      const afterCheckpoint = mine.version();
      other.sqlite.prepare('DELETE FROM t').run();
      assert.notEqual(mine.version(), afterCheckpoint, 'a commit after the WAL restarted');
    } finally {
      other.close();
      mine.close();
    }
  });

  it('the version a request starts at is read once per event-loop turn: a commit shows from the next turn on', async () => {
    const file = path.join(await makeTempDir(), 'turns.db');
    const mine = openDatabase(file);
    const other = openDatabase(file);
    try {
      mine.sqlite.exec('CREATE TABLE t (x INTEGER)');
      await new Promise(setImmediate);
      const start = mine.versionAtRequestStart();
      other.sqlite.prepare('INSERT INTO t VALUES (1)').run();
      assert.equal(mine.versionAtRequestStart(), start, 'the same turn keeps the version it read first');
      assert.notEqual(mine.version(), start, 'the exact read sees the commit at once');
      await new Promise(setImmediate);
      const next = mine.versionAtRequestStart();
      assert.notEqual(next, start, 'the next turn sees the commit');
      await new Promise(setImmediate);
      assert.equal(mine.versionAtRequestStart(), next, 'and no commit, no change');
    } finally {
      other.close();
      mine.close();
    }
  });

  it('the image route answers the next request after another process unpublishes, from memory until then', async () => {
    const server = await startTestServer();
    try {
      const built = await buildLibrary(server.dataDir, {
        albums: { Open: 'PUBLIC' },
        photos: { one: { file: path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'), albums: ['Open'] } },
      });
      const photoId = built.photos.one as string;
      const url = `${server.url}/images/${photoId}/thumb.jpg`;
      for (let i = 0; i < 3; i++) {
        const seen = await request(url);
        await seen.body.dump();
        assert.equal(seen.statusCode, 200);
      }
      // Another connection, as `lightbox` commands and workers are: no request in between.
      const { database } = await openStore({ dataDir: server.dataDir }, { create: true });
      try {
        updateAlbum(database.db, built.albums.Open as string, { visibility: 'PRIVATE' });
      } finally {
        database.close();
      }
      const hidden = await request(url);
      await hidden.body.dump();
      assert.equal(hidden.statusCode, 404);

      const again = await openStore({ dataDir: server.dataDir }, { create: true });
      try {
        updateAlbum(again.database.db, built.albums.Open as string, { visibility: 'PUBLIC' });
      } finally {
        again.database.close();
      }
      const shown = await request(url);
      await shown.body.dump();
      assert.equal(shown.statusCode, 200);
    } finally {
      await server.close();
    }
  });
});
