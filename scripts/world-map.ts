import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { geoEquirectangular, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/**
 * The owner's map's land, as one SVG path: Natural Earth's 1:110m land outlines (public domain,
 * from the world-atlas package as TopoJSON) in the plate carrée the server's cluster grid uses,
 * one unit a degree: x = longitude + 180, y = 90 − latitude, so the app lays clusters on it with
 * no projection of its own. Made here, once, into the app's assets (`npm run map:world`) and
 * checked in, so a server neither loads the geometry packages nor spends ~100 ms on it at start;
 * test/world-map.test.ts makes it again and fails if the checked-in file differs.
 */
export function worldMapSvg(): string {
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(readFileSync(require.resolve('world-atlas/land-110m.json'), 'utf8')) as Topology<{
    land: GeometryCollection;
  }>;
  const land = feature(topology, topology.objects.land);
  const projection = geoEquirectangular()
    .scale(180 / Math.PI)
    .translate([180, 90]);
  const d = geoPath(projection).digits(3)(land) ?? '';
  // The app reads only the path's outline (map.js) and styles it itself (library.css .land-copy).
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180"><title>Land (Natural Earth, 1:110m)</title><path d="${d}"/></svg>\n`;
}

/** Where the server serves it from: beside the app's modules. */
export const WORLD_MAP_ASSET = fileURLToPath(new URL('../src/http/library/assets/world.svg', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(WORLD_MAP_ASSET, worldMapSvg());
