import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MAX_INPUT_PIXELS } from '../../src/media/limits.ts';
import { geoCellSql } from '../../src/places/geo-cells.ts';
import { importFolder } from '../../src/processing/folder-import.ts';
import { processPhoto } from '../../src/processing/process-photo.ts';
import { openStore } from '../../src/storage/open-store.ts';

/** The real photos a scale library is copied from: the camera fixtures (EXIF of six makers). */
export const SCALE_SEED_PHOTOS = fileURLToPath(new URL('../../test/fixtures/photos/cameras', import.meta.url));

/**
 * Imports `folder` into the data dir as the public album "Seed" and processes every photo, as
 * `lightbox import` and the worker would: the READY photos buildScaleLibrary copies, with real
 * sizes, placeholders and renditions.
 */
export async function seedScaleLibrary(dataDir: string, folder: string = SCALE_SEED_PHOTOS): Promise<void> {
  const { layout, database } = await openStore({ dataDir }, { create: true });
  try {
    await importFolder({ db: database.db, layout }, folder, { album: 'Seed', visibility: 'PUBLIC' });
    const deps = { db: database.db, layout, limits: { maxPixels: MAX_INPUT_PIXELS, timeoutSeconds: 60 } };
    for (const id of database.sqlite.prepare('SELECT id FROM photos').pluck().all() as number[]) await processPhoto(deps, id);
  } finally {
    database.close();
  }
}

/**
 * A library of many photos made in seconds from the few really imported into it: each photo
 * row is copied (INSERT … SELECT, no decoding, no files) with its own public id, content hash,
 * title, camera and times, into albums of its own. The copies share the real photos' sizes,
 * placeholders and metadata shape, so every read costs what it would on a real library; their
 * files do not exist (linkCopiedFiles makes them where a measurement needs them).
 *
 * The spread is fixed, so two libraries of one size answer alike and a test can know its counts:
 * - photo i (from 0; its row id is i + 1) has camera make SCALE_MAKES[i % 5], none when i % 7 = 6;
 * - it was added i seconds after `startMs`; capture times fill the same span at every size, the
 *   100,000 hours (11.4 years) from `startMs` that 100,000 photos fill an hour apart, photo i
 *   taken i steps of 100,000 / photos hours before the span's end, with none when i % 11 = 10
 *   (a library of a thousand photos also spans years: the timeline of each answers alike);
 * - it is in album i % albums (album a has row id a + 1; PRIVATE when a % 4 = 3, else PUBLIC),
 *   also in album (i + 1) % albums when i % 13 = 12, and in none when i % 17 = 16; album 0 also
 *   holds every photo with an even i (a large album: half the library, however big);
 * - it is a favourite when i % 53 = 0, and rated (i % 29) + 1 stars when i % 29 < 5;
 * - fifty photos at every size (i % (photos / 50) = 3) have "Lisbon tram" in their title, fifty
 *   (= 5) the keyword Harbour, fifty (= 7) the place Zürich: a search for any costs the same;
 * - a third (i % 3 = 0) are geotagged, spread over the globe; the rest have no position;
 * - every photo has one DONE processing job (finished jobs pile up as in a real library).
 */
export const SCALE_MAKES = ['Canon', 'NIKON CORPORATION', 'Apple', 'FUJIFILM', 'SONY'] as const;

export interface ScaleLibraryOptions {
  photos: number;
  /** Default: one album per 500 photos, at least 20. */
  albums?: number;
  /** Added-at time of photo 0, in ms. */
  startMs?: number;
}

export interface ScaleLibrary {
  photos: number;
  albums: number;
  startMs: number;
}

const DEFAULT_START_MS = Date.UTC(2015, 0, 1);
const HOUR_MS = 3_600_000;
/** The span of capture times, whatever the size. */
const CAPTURE_SPAN_MS = 100_000 * HOUR_MS;

/**
 * Replaces the library's photos and albums with `photos` copies of the READY photos already in
 * it (at least one must be), in one transaction. Share links and their albums go with the albums.
 */
export function buildScaleLibrary(sqlite: Database.Database, options: ScaleLibraryOptions): ScaleLibrary {
  const total = options.photos;
  const albumCount = options.albums ?? Math.max(20, Math.ceil(total / 500));
  const startMs = options.startMs ?? DEFAULT_START_MS;
  const seedCount = (sqlite.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'READY'`).get() as { n: number }).n;
  if (seedCount === 0) throw new Error('the scale library copies READY photos: import some first');
  const columns = (sqlite.prepare('PRAGMA table_info(photos)').all() as { name: string }[]).map((column) => column.name);
  // Only the columns this database has: the bench builds libraries for older checkouts too (--against).
  const overridden = Object.entries(OVERRIDDEN).filter(([name]) => columns.includes(name));
  const copied = columns.filter((name) => name !== 'id' && !(name in OVERRIDDEN));
  const build = sqlite.transaction(() => {
    sqlite.exec(`
      CREATE TEMP TABLE seed AS SELECT row_number() OVER (ORDER BY id) - 1 AS seed_index, * FROM photos WHERE status = 'READY';
      DELETE FROM albums;
      DELETE FROM photos;
      DELETE FROM sqlite_sequence WHERE name IN ('photos', 'albums', 'jobs');
    `);
    sqlite
      .prepare(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @albums)
      INSERT INTO albums (id, public_id, title, description, visibility, created_at, updated_at)
      SELECT i + 1, lower(hex(randomblob(11))), 'Album ' || (i + 1), '',
             CASE WHEN i % 4 = 3 THEN 'PRIVATE' ELSE 'PUBLIC' END, @start + i * 1000, @start + i * 1000
        FROM n`)
      .run({ albums: albumCount, start: startMs });
    const tables = new Set(sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
    if (tables.has('places')) {
      sqlite
        .prepare(
          'INSERT OR IGNORE INTO places (id, name, country_code, country, latitude, longitude) VALUES (@id, @name, @country_code, @country, @latitude, @longitude)',
        )
        .run(ZURICH);
    }
    sqlite
      .prepare(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @total)
      INSERT INTO photos (id, ${overridden.map(([name]) => name).join(', ')}, ${copied.join(', ')})
      SELECT i + 1, ${overridden.map(([, value]) => value).join(', ')}, ${copied.map((name) => `seed.${name}`).join(', ')}
        FROM n JOIN seed ON seed.seed_index = i % @seeds`)
      .run({
        total,
        seeds: seedCount,
        start: startMs,
        end: startMs + CAPTURE_SPAN_MS,
        step: Math.floor(CAPTURE_SPAN_MS / total),
        makes: JSON.stringify(SCALE_MAKES),
      });
    sqlite
      .prepare(`
      INSERT INTO album_photos (album_id, photo_id, position, added_at)
      SELECT (id - 1) % @albums + 1, id, id * 1024, created_at FROM photos WHERE (id - 1) % 17 <> 16
      UNION ALL
      SELECT id % @albums + 1, id, id * 1024, created_at FROM photos WHERE (id - 1) % 13 = 12 AND (id - 1) % 17 <> 16 AND @albums > 1
      UNION
      SELECT 1, id, id * 1024, created_at FROM photos WHERE (id - 1) % 2 = 0`)
      .run({ albums: albumCount });
    if (tables.has('photo_keywords')) {
      sqlite.exec(`DELETE FROM keywords; INSERT INTO keywords (id, name, key) VALUES (1, 'Harbour', 'harbour')`);
      sqlite
        .prepare('INSERT INTO photo_keywords (photo_id, keyword_id) SELECT id, 1 FROM photos WHERE (id - 1) % max(1, @total / 50) = 5')
        .run({ total });
    }
    sqlite.exec(`
      INSERT INTO jobs (photo_id, kind, state, attempts, run_after, created_at, updated_at)
      SELECT id, 'process', 'DONE', 1, created_at, created_at, created_at FROM photos;
      DROP TABLE temp.seed;
    `);
    // A library grown over years has a pruned change feed: the build's own rows are nobody's news.
    if (sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'`).get() !== undefined) {
      sqlite.exec('DELETE FROM changes');
    }
  });
  build();
  return { photos: total, albums: albumCount, startMs };
}

/**
 * A new data dir holding a copy of the seed's database (and its secrets, if it has any) grown to
 * `photos` photos, checkpointed so the copy is one file: the seed itself stays as it is.
 */
export function copyScaleLibrary(seedDir: string, dataDir: string, photos: number): ScaleLibrary {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const file of ['lightbox.db', 'secret', 'admin-token']) {
    if (existsSync(path.join(seedDir, file))) copyFileSync(path.join(seedDir, file), path.join(dataDir, file));
  }
  const sqlite = new Database(path.join(dataDir, 'lightbox.db'));
  try {
    const library = buildScaleLibrary(sqlite, { photos });
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return library;
  } finally {
    sqlite.close();
  }
}

/** Pseudo-random positions over the inhabited latitudes and every longitude. */
const LATITUDE = '((i * 7919) % 1400) / 10.0 - 70';
const LONGITUDE = '((i * 104729) % 3600) / 10.0 - 180';
const ZURICH = { id: 2657896, name: 'Zürich', country_code: 'CH', country: 'Switzerland', latitude: 47.36667, longitude: 8.55 };

/** photo i (row id i + 1): the columns every copy gets of its own. */
const OVERRIDDEN = {
  public_id: 'lower(hex(randomblob(11)))',
  content_hash: 'lower(hex(randomblob(32)))',
  url_key: 'lower(hex(randomblob(6)))',
  title: `'Photo ' || i || CASE WHEN i % max(1, @total / 50) = 3 THEN ' Lisbon tram' ELSE '' END`,
  status: `'READY'`,
  // Kept by the database's triggers from the memberships made next.
  in_public_album: '0',
  taken_at: 'CASE WHEN i % 11 = 10 THEN NULL ELSE @end - i * @step END',
  camera_make: `CASE WHEN i % 7 = 6 THEN NULL ELSE json_extract(@makes, '$[' || (i % ${SCALE_MAKES.length}) || ']') END`,
  favorite: 'CASE WHEN i % 53 = 0 THEN 1 ELSE 0 END',
  rating: 'CASE WHEN i % 29 < 5 THEN i % 29 + 1 ELSE 0 END',
  latitude: `CASE WHEN i % 3 = 0 THEN ${LATITUDE} END`,
  longitude: `CASE WHEN i % 3 = 0 THEN ${LONGITUDE} END`,
  altitude: 'NULL',
  geo_cell: `CASE WHEN i % 3 = 0 THEN ${geoCellSql(LATITUDE, LONGITUDE)} END`,
  // Looked up already (0: no place near), so a server started on the library has nothing to place.
  place_id: `CASE WHEN i % max(1, @total / 50) = 7 THEN ${ZURICH.id} WHEN i % 3 = 0 THEN 0 END`,
  created_at: '@start + i * 1000',
  updated_at: '@start + i * 1000',
} as const;
