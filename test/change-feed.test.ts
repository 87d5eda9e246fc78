import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createAlbum, updateAlbum } from '../src/catalog/albums.ts';
import { type Change, ChangeFeed } from '../src/catalog/change-feed.ts';
import { openStore, type Store } from '../src/storage/open-store.ts';
import { makeTempDir } from './helpers/server.ts';
import { untilEvent } from './helpers/wait.ts';

describe('the change feed: what the triggers write, read after the version moves, pruned', () => {
  let dataDir: string;
  let reader: Store;
  let writer: Store;

  before(async () => {
    dataDir = await makeTempDir();
    reader = await openStore({ dataDir }, { create: true });
    // Another connection, as another process would write through.
    writer = await openStore({ dataDir }, { create: true });
  });

  after(() => {
    reader.close();
    writer.close();
  });

  const rows = () => (reader.database.sqlite.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n;

  it('tells a listener of what other connections commit after it started listening, in order, and nothing before', async () => {
    createAlbum(writer.database.db, { title: 'before', visibility: 'PUBLIC' });
    const feed = new ChangeFeed(reader.database.sqlite, { version: reader.database.version, pollMs: 10 });
    const heard: Change[] = [];
    const told = new EventEmitter();
    const stop = feed.listen((changes) => {
      heard.push(...changes);
      told.emit('changes');
    });
    try {
      const made = createAlbum(writer.database.db, { title: 'after', visibility: 'PUBLIC' });
      updateAlbum(writer.database.db, made.publicId, { visibility: 'PRIVATE' });
      await untilEvent(told, 'changes', () => heard.some((change) => change.kind === 'changed'), 'the change', 10_000);
      assert.deepEqual(
        heard.map((change) => change.publicId),
        heard.map(() => made.publicId),
        'told of the album made before it listened',
      );
      assert.deepEqual([heard[0]?.kind, heard[0]?.wasPublic], ['added', false]);
      // The visibility change: what anonymous viewers saw of it before (public).
      assert.deepEqual([heard[1]?.kind, heard[1]?.wasPublic], ['changed', true]);
      assert.deepEqual(
        heard.map((change) => change.seq),
        heard.map((change) => change.seq).sort((a, b) => a - b),
      );
    } finally {
      stop();
      feed.close();
    }
  });

  it('keeps only the newest rows, pruning in chunks whoever wrote the rest', async () => {
    const made = createAlbum(writer.database.db, { title: 'busy', visibility: 'PRIVATE' });
    for (let index = 0; index < 12_000; index++) updateAlbum(writer.database.db, made.publicId, { title: `busy ${index}` });
    assert.ok(rows() > 12_000);
    const pruned = new EventEmitter();
    const feed = new ChangeFeed(reader.database.sqlite, {
      version: reader.database.version,
      keepRows: 100,
      pruneMs: 60_000,
      onPruned: () => pruned.emit('pruned'),
    });
    try {
      // One chunk at start, the next ones each a turn later, until only the newest 100 are left.
      await untilEvent(
        pruned,
        'pruned',
        () => rows() === 100,
        () => `100 rows left (${rows()})`,
        10_000,
      );
      const newest = reader.database.sqlite.prepare('SELECT max(seq) AS seq FROM changes').get() as { seq: number };
      const oldest = reader.database.sqlite.prepare('SELECT min(seq) AS seq FROM changes').get() as { seq: number };
      assert.equal(newest.seq - oldest.seq, 99);
    } finally {
      feed.close();
    }
  });

  it('a closed feed tells its listeners they ended', () => {
    const feed = new ChangeFeed(reader.database.sqlite, { version: reader.database.version });
    let ended = 0;
    feed.listen(
      () => {},
      () => ended++,
    );
    feed.close();
    assert.equal(ended, 1);
    assert.equal(feed.listening, 0);
  });
});
