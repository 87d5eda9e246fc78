import { setImmediate as turn } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.ts';
import { photos, places } from '../db/schema.ts';
import { type Place, PlaceIndex } from './geonames.ts';

let loaded: PlaceIndex | undefined;

/** Read on first use (about 0.4 s): a server whose photos carry no GPS never holds it. */
function placeIndex(): PlaceIndex {
  loaded ??= PlaceIndex.load();
  return loaded;
}

/** What photos.place_id holds for a position no place is near. */
export const NO_PLACE = 0;

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** What a position was found near: a place, none (NO_PLACE), or nothing to look up (no position). */
export type FoundPlace = Place | typeof NO_PLACE | null;

/**
 * The place nearest to the position. Looked up before a write begins: the first lookup reads
 * the GeoNames data, which must not hold the database's write lock meanwhile.
 */
export function placeNear(latitude: number | null, longitude: number | null): FoundPlace {
  if (latitude === null || longitude === null) return null;
  return placeIndex().nearest(latitude, longitude) ?? NO_PLACE;
}

/** photos.place_id for what was found, its places row written the first time a photo is found near it. */
export function placeId(tx: Queryable, found: FoundPlace): number | null {
  if (found === null || found === NO_PLACE) return found;
  tx.insert(places)
    .values({ ...found, country: countryName(found.countryCode) })
    .onConflictDoNothing()
    .run();
  return found.id;
}

function countryName(code: string): string {
  try {
    return countryNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/** Photos placed per transaction by locateUnplacedPhotos: short enough that writers never wait long. */
const BATCH = 200;

/**
 * Finds the place of every geotagged photo that has none looked up yet (a library from before
 * places, or photos the worker has not reached): in batches over photos_unplaced_idx, which holds
 * exactly those photos, yielding to the event loop between batches. Returns how many it placed.
 */
export async function locateUnplacedPhotos(db: Db, shouldStop: () => boolean = () => false): Promise<number> {
  let placed = 0;
  let after = 0;
  while (!shouldStop()) {
    const batch = db
      .select({ id: photos.id, latitude: photos.latitude, longitude: photos.longitude })
      .from(photos)
      // The index's own condition, word for word, so the planner reads photos_unplaced_idx.
      .where(sql`"latitude" IS NOT NULL AND "place_id" IS NULL AND ${photos.id} > ${after}`)
      .orderBy(photos.id)
      .limit(BATCH)
      .all();
    if (batch.length === 0) break;
    const found = batch.map((photo) => placeNear(photo.latitude, photo.longitude));
    db.transaction((tx) => {
      batch.forEach((photo, index) => {
        tx.update(photos)
          .set({ placeId: placeId(tx, found[index] ?? null) })
          .where(eq(photos.id, photo.id))
          .run();
      });
    });
    placed += batch.length;
    after = batch[batch.length - 1]?.id ?? after;
    await turn();
  }
  return placed;
}
