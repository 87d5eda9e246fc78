import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { createAlbum, deleteAlbum } from '../src/catalog/albums.ts';
import { applyMigrations, MIGRATIONS_DIR, openDatabase } from '../src/db/client.ts';
import { importFolder } from '../src/processing/folder-import.ts';
import { readManifest } from '../src/storage/backup.ts';
import { openStore } from '../src/storage/open-store.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { makeTempDir } from './helpers/server.ts';

describe('database', () => {
  it('opens in WAL mode with foreign keys, FULL sync and a busy timeout', async () => {
    const handle = openDatabase(path.join(await makeTempDir(), 'lightbox.db'));
    try {
      assert.equal(handle.sqlite.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(handle.sqlite.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(handle.sqlite.pragma('synchronous', { simple: true }), 2, 'FULL');
      assert.ok(Number(handle.sqlite.pragma('busy_timeout', { simple: true })) >= 1000);
    } finally {
      handle.close();
    }
  });

  it('applies the migrations once; reopening applies only new ones', async () => {
    const file = path.join(await makeTempDir(), 'lightbox.db');
    const first = openDatabase(file);
    applyMigrations(first);
    const applied = first.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
    assert.ok(applied.n >= 1);
    first.sqlite.prepare("INSERT INTO albums (public_id, title) VALUES ('kept-across-reopen', 'kept')").run();
    first.close();

    const second = openDatabase(file);
    applyMigrations(second);
    const again = second.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
    const kept = second.sqlite.prepare("SELECT title FROM albums WHERE public_id = 'kept-across-reopen'").get() as { title: string };
    second.close();
    assert.equal(again.n, applied.n);
    assert.equal(kept.title, 'kept');
  });

  it('enforces the schema: one photo per content hash, memberships need real rows', async () => {
    const handle = openDatabase(path.join(await makeTempDir(), 'lightbox.db'));
    applyMigrations(handle);
    try {
      const insertPhoto = handle.sqlite.prepare(
        `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height)
         VALUES (?, 't', ?, 1, 'image/jpeg', 'jpg', 1, 1)`,
      );
      insertPhoto.run('photo-a', 'a'.repeat(64));
      assert.throws(() => insertPhoto.run('photo-b', 'a'.repeat(64)), /UNIQUE/);
      assert.throws(
        () => handle.sqlite.prepare('INSERT INTO album_photos (album_id, photo_id, position) VALUES (99, 99, 1)').run(),
        /FOREIGN KEY/,
      );
    } finally {
      handle.close();
    }
  });

  it('lightbox migrate --init creates and migrates the database in the data dir (without --init it makes nothing)', async () => {
    const dataDir = await makeTempDir();
    const refused = await runCli(['migrate'], { LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(refused.code, 1);
    assert.equal(existsSync(path.join(dataDir, 'lightbox.db')), false);
    const result = await runCli(['migrate', '--init'], { LIGHTBOX_DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Made a new library in .*: the database is up to date\.$/m);
    const handle = openDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true });
    const tables = handle.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    handle.close();
    for (const table of ['album_photos', 'albums', 'jobs', 'photos']) {
      assert.ok(
        tables.some((row) => row.name === table),
        table,
      );
    }
  });

  it('upgrading a library gives every existing photo a URL key, and loses nothing', async () => {
    const dir = await makeTempDir();
    const firstOnly = path.join(dir, 'migrations');
    await cp(path.join(MIGRATIONS_DIR, '20261126154936_init'), path.join(firstOnly, '20261126154936_init'), { recursive: true });
    const handle = openDatabase(path.join(dir, 'lightbox.db'));
    try {
      migrate(handle.db, { migrationsFolder: firstOnly });
      const insert = handle.sqlite.prepare(
        `INSERT INTO photos (public_id, title, content_hash, byte_size, mime_type, original_extension, width, height)
         VALUES (?, 'old', ?, 1, 'image/jpeg', 'jpg', 10, 10)`,
      );
      for (const n of [1, 2, 3]) insert.run(`${'A'.repeat(21)}${n}`, String(n).repeat(64));
      applyMigrations(handle);
      const rows = handle.sqlite.prepare('SELECT public_id, title, url_key FROM photos ORDER BY id').all() as {
        url_key: string;
        title: string;
      }[];
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.match(row.url_key, /^[0-9a-f]{12}$/);
        assert.equal(row.title, 'old');
      }
      assert.equal(new Set(rows.map((row) => row.url_key)).size, 3, 'each its own');
    } finally {
      handle.close();
    }
  });

  it('lightbox backup writes a consistent copy of a live library, WAL included', async () => {
    const dataDir = await makeTempDir();
    // Held open for the whole test, so what it wrote is still in the WAL, not yet in the main file.
    const live = await openStore({ dataDir }, { create: true });
    try {
      const imported = await importFolder({ db: live.database.db, layout: live.layout }, path.join(FIXTURE_PHOTOS, 'gps'), {
        visibility: 'PUBLIC',
      });
      assert.equal(imported.imported, 3);
      const walBytes = (await stat(path.join(dataDir, 'lightbox.db-wal'))).size;
      assert.ok(walBytes > 0, 'the rows are in the WAL');
      const target = path.join(await makeTempDir(), 'backup');
      const result = await runCli(['backup', target], { LIGHTBOX_DATA_DIR: dataDir });
      assert.equal(result.code, 0, result.stderr);
      const { snapshot } = await readManifest(target);
      const copy = openDatabase(path.join(target, snapshot, 'lightbox.db'), { readonly: true });
      try {
        assert.equal(copy.sqlite.pragma('integrity_check', { simple: true }), 'ok');
        for (const table of ['photos', 'albums', 'album_photos', 'jobs']) {
          const rows = (handle: typeof copy) => handle.sqlite.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
          assert.deepEqual(rows(copy), rows(live.database), `${table} is copied whole`);
        }
        assert.equal((copy.sqlite.prepare('SELECT count(*) AS n FROM photos').get() as { n: number }).n, 3);
      } finally {
        copy.close();
      }
      const notABackup = path.join(target, 'originals');
      const refused = await runCli(['backup', notABackup], { LIGHTBOX_DATA_DIR: dataDir });
      assert.equal(refused.code, 2, 'a folder holding something else is never written into');
      assert.match(refused.stderr, /^lightbox: .*is not empty and holds no Lightbox backup/);
    } finally {
      live.database.close();
    }
  });
  it('a write transaction holds the write lock from its first read: another process committing in between cannot fail it', async () => {
    const file = path.join(await makeTempDir(), 'lightbox.db');
    const setup = openDatabase(file);
    applyMigrations(setup);
    setup.close();
    // Another process of the library (a second server, a `lightbox worker`): its own connection.
    const other = openDatabase(file);
    other.sqlite.pragma('busy_timeout = 0');
    let otherWrite: string | undefined;
    const handle = openDatabase(file, {
      logger: {
        logQuery(query) {
          // Between the transaction's read of the album and its delete, the other connection commits.
          if (otherWrite !== undefined || !query.startsWith('delete from "albums"')) return;
          try {
            other.sqlite.prepare("INSERT INTO albums (public_id, title) VALUES ('from-elsewhere', 'elsewhere')").run();
            otherWrite = 'committed';
          } catch (error) {
            otherWrite = (error as { code?: string }).code ?? String(error);
          }
        },
      },
    });
    try {
      const album = createAlbum(handle.db, { title: 'Trip' });
      // A deferred transaction would take a read snapshot, let the other commit, then fail its own write with SQLITE_BUSY_SNAPSHOT.
      assert.equal(deleteAlbum(handle.db, album.publicId).publicId, album.publicId);
      assert.equal(
        otherWrite,
        'SQLITE_BUSY',
        'the other connection waits for the lock (its busy timeout, 0 here) instead of invalidating the snapshot',
      );
      assert.equal((handle.sqlite.prepare('SELECT count(*) AS n FROM albums').get() as { n: number }).n, 0);
    } finally {
      handle.close();
      other.close();
    }
  });
});
