import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoEquirectangular, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/**
 * The owner's map's land, as one SVG path: Natural Earth's 1:110m land outlines (public domain,
 * from the world-atlas package as TopoJSON) in the plate carrée the server's cluster grid uses,
 * one unit a degree: x = longitude + 180, y = 90 − latitude, so the app lays clusters on it with
 * no projection of its own. Made once per process from the installed package (a few
 * milliseconds) and served as a hashed asset, so nothing is fetched from another origin and no
 * build step has to remember it.
 */
export function worldMapSvg(): Buffer {
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(readFileSync(require.resolve('world-atlas/land-110m.json'), 'utf8')) as Topology<{
    land: GeometryCollection;
  }>;
  const land = feature(topology, topology.objects.land);
  const projection = geoEquirectangular()
    .scale(180 / Math.PI)
    .translate([180, 90]);
  const d = geoPath(projection).digits(3)(land) ?? '';
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180" width="360" height="180">` +
      `<path fill="#dfe6d6" stroke="#8a9a7b" stroke-width="0.15" stroke-linejoin="round" vector-effect="non-scaling-stroke" d="${d}"/></svg>\n`,
  );
}
