import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../src/db/client.ts';
import { geoCellOf, geoCellSql } from '../src/places/geo-cells.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { buildLibrary } from './helpers/library.ts';
import { makeTempDir, startTestServer, type TestServer } from './helpers/server.ts';

const Clusters = graphql(`
  query Clusters($bbox: GeoBox!, $zoom: Int!) {
    photoClusters(bbox: $bbox, zoom: $zoom) {
      count
      latitude
      longitude
      bounds {
        west
        south
        east
        north
      }
    }
  }
`);

const InArea = graphql(`
  query InArea($area: GeoBox!) {
    photos(first: 50, filter: { area: $area }, orderBy: TITLE_ASC) {
      totalCount
      nodes {
        title
      }
    }
  }
`);

const WORLD = { west: -180, south: -90, east: 180, north: 90 };

describe("the owner's map", () => {
  let server: TestServer;

  before(async () => {
    const dataDir = await makeTempDir();
    const gps = (name: string) => path.join(FIXTURE_PHOTOS, 'gps', `${name}.jpg`);
    await buildLibrary(dataDir, {
      albums: { open: 'PUBLIC' },
      photos: {
        a: { file: gps('DSCN0010'), albums: ['open'] },
        b: { file: gps('DSCN0021'), albums: ['open'] },
        c: { file: gps('DSCN0040'), albums: ['open'] },
        fiji: { file: path.join(FIXTURE_PHOTOS, 'cameras', 'canon-ixus.jpg'), albums: ['open'] },
        samoa: { file: path.join(FIXTURE_PHOTOS, 'cameras', 'kodak-dc240.jpg'), albums: ['open'] },
        nowhere: { file: path.join(FIXTURE_PHOTOS, 'cameras', 'nikon-e950.jpg'), albums: ['open'] },
      },
    });
    const handle = openDatabase(path.join(dataDir, 'lightbox.db'));
    try {
      // Either side of the antimeridian, as a camera's GPS would have written them.
      const place = handle.sqlite.prepare('UPDATE photos SET latitude = ?, longitude = ?, geo_cell = ? WHERE title = ?');
      place.run(-17.7, 179.9, geoCellOf(-17.7, 179.9), 'fiji');
      place.run(-13.8, -171.8, geoCellOf(-13.8, -171.8), 'samoa');
    } finally {
      handle.close();
    }
    server = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir });
  });

  after(async () => {
    await server?.close();
  });

  const clusters = async (
    bbox: { west: number; south: number; east: number; north: number },
    zoom: number,
    headers: Record<string, string> = server.admin,
  ) => dataOf(await postGraphQL(server.url, Clusters, { bbox, zoom }, headers)).photoClusters;
  const inArea = async (
    area: { west: number; south: number; east: number; north: number },
    headers: Record<string, string> = server.admin,
  ) => dataOf(await postGraphQL(server.url, InArea, { area }, headers)).photos;

  it('clusters every geotagged photo, coarser as the zoom goes out, each cluster opening its photos', async () => {
    const halves = await clusters(WORLD, 0);
    assert.deepEqual(
      halves.map((cluster) => [cluster.count, cluster.bounds]),
      [
        [1, { west: -180, south: -90, east: 0, north: 90 }],
        [4, { west: 0, south: -90, east: 180, north: 90 }],
      ],
      'zoom 0: the western and eastern halves; the photo without GPS is on no map',
    );
    const world = await clusters(WORLD, 2);
    const tuscany = world.find((cluster) => cluster.count === 3);
    assert.ok(tuscany, `the three Tuscan photos are one cluster at the world view: ${JSON.stringify(world)}`);
    assert.ok(
      tuscany.latitude > 43 && tuscany.latitude < 44 && tuscany.longitude > 11 && tuscany.longitude < 12.5,
      'at their mean position',
    );
    const opened = await inArea(tuscany.bounds);
    assert.deepEqual(
      opened.nodes.map((photo) => photo.title),
      ['a', 'b', 'c'],
    );
    assert.equal(opened.totalCount, 3);
    const closer = await clusters({ west: 11, south: 43, east: 12.5, north: 44 }, 12);
    // 600 m apart, they stay one cluster down to the finest cells (about 4.9 km across), but a far smaller one.
    assert.equal(closer.length, 1);
    assert.equal(closer[0]?.count, 3);
    const width = (bounds: { west: number; east: number }) => bounds.east - bounds.west;
    assert.equal(width(closer[0]?.bounds ?? { west: 0, east: 0 }), 180 / 4096);
    assert.equal(width(tuscany.bounds), 45);
  });

  it('reads a box across the antimeridian as the two boxes either side of it', async () => {
    const pacific = { west: 170, south: -25, east: -165, north: -5 };
    assert.equal(
      (await clusters(pacific, 4)).reduce((sum, cluster) => sum + cluster.count, 0),
      2,
    );
    assert.deepEqual(
      (await inArea(pacific)).nodes.map((photo) => photo.title),
      ['fiji', 'samoa'],
    );
    assert.deepEqual(
      (await inArea({ west: -170, south: -25, east: 170, north: -5 })).nodes,
      [],
      'the other way round is the rest of the world',
    );
  });

  it("is the owner's alone: anyone else gets no clusters and finds no photo by area", async () => {
    assert.deepEqual(await clusters(WORLD, 0, {}), []);
    assert.equal((await inArea(WORLD, {})).totalCount, 0);
    assert.equal((await inArea(WORLD)).totalCount, 5);
  });

  it('places a position in the same cell whether the code or the database computes it', () => {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const inSql = handle.sqlite.prepare(`SELECT ${geoCellSql('@latitude', '@longitude')}`).pluck();
      for (const [latitude, longitude] of [
        [0, 0],
        [90, 180],
        [-90, -180],
        [43.4674, 11.8851],
        [-17.7, 179.9],
        [51.5, -0.12],
        [-33.9, 151.2],
        [89.999, -179.999],
        [12.3456789, 98.7654321],
      ]) {
        assert.equal(inSql.get({ latitude, longitude }), geoCellOf(latitude as number, longitude as number), `${latitude}, ${longitude}`);
      }
      assert.equal(inSql.get({ latitude: 91, longitude: 0 }), null);
      // An expression is one operand: a latitude given as "x - 70" is not read as "90 - x - 70".
      const fromExpressions = handle.sqlite.prepare(`SELECT ${geoCellSql('@shifted - 70', '@longitude * 2 - 180')}`).pluck();
      assert.equal(fromExpressions.get({ shifted: 113.4674, longitude: 95.94255 }), geoCellOf(43.4674, 11.8851));
    } finally {
      handle.close();
    }
  });

  it('refuses a box off the globe, a south north of the north, or too many cells, with a typed error', async () => {
    for (const [bbox, zoom] of [
      [{ west: -200, south: 0, east: 10, north: 10 }, 2],
      [{ west: 0, south: 10, east: 10, north: 0 }, 2],
      [{ west: 0, south: 95, east: 10, north: 99 }, 2],
      [WORLD, 12],
      [WORLD, -1],
    ] as const) {
      const response = await postGraphQL(server.url, Clusters, { bbox, zoom }, server.admin);
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'VALIDATION', JSON.stringify({ bbox, zoom }));
    }
  });

  it('keeps the cell counts with every photo written, moved and deleted, and reads them by index', async () => {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'));
    try {
      const { sqlite } = handle;
      sqlite
        .prepare('UPDATE photos SET latitude = ?, longitude = ?, geo_cell = ? WHERE title = ?')
        .run(40.7, -74, geoCellOf(40.7, -74), 'samoa');
      sqlite.prepare(`DELETE FROM photos WHERE title = 'fiji'`).run();
      const drift = sqlite
        .prepare(
          `SELECT c.level, c.cell, c.photos, (SELECT count(*) FROM photos p WHERE p.geo_cell >> (2 * (12 - c.level)) = c.cell) AS actual
             FROM photo_cells c WHERE c.photos <> (SELECT count(*) FROM photos p WHERE p.geo_cell >> (2 * (12 - c.level)) = c.cell)`,
        )
        .all();
      assert.deepEqual(drift, []);
      const plan = (
        sqlite
          .prepare(
            `EXPLAIN QUERY PLAN SELECT cell FROM photo_cells WHERE level = 4 AND cell IN (SELECT value FROM json_each('[1,2]')) AND photos > 0`,
          )
          .all() as { detail: string }[]
      )
        .map((row) => row.detail)
        .join('\n');
      assert.match(plan, /SEARCH photo_cells USING INDEX sqlite_autoindex_photo_cells_1 \(level=\? AND cell=\?\)/);
    } finally {
      handle.close();
    }
    assert.equal(
      (await clusters(WORLD, 0)).reduce((sum, cluster) => sum + cluster.count, 0),
      4,
    );
  });
});
