import { setImmediate as turn } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.ts';
import { photos, places } from '../db/schema.ts';
import { PlaceIndex } from './geonames.ts';

let loaded: PlaceIndex | undefined;

/** Read on first use (about 0.4 s): a server whose photos carry no GPS never holds it. */
function placeIndex(): PlaceIndex {
  loaded ??= PlaceIndex.load();
  return loaded;
}

/** What photos.place_id holds for a position no place is near. */
export const NO_PLACE = 0;

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/**
 * The places row for the place nearest to the position, written the first time a photo is
 * found near it, or NO_PLACE; null without a position.
 */
export function placeIdFor(tx: Queryable, latitude: number | null, longitude: number | null): number | null {
  if (latitude === null || longitude === null) return null;
  const place = placeIndex().nearest(latitude, longitude);
  if (place === undefined) return NO_PLACE;
  tx.insert(places)
    .values({ ...place, country: countryName(place.countryCode) })
    .onConflictDoNothing()
    .run();
  return place.id;
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
      .where(sql`"latitude" IS NOT NULL AND "place_id" IS NULL AND ${photos.id} > ${after}`)
      .orderBy(photos.id)
      .limit(BATCH)
      .all();
    if (batch.length === 0) break;
    db.transaction((tx) => {
      for (const photo of batch) {
        tx.update(photos)
          .set({ placeId: placeIdFor(tx, photo.latitude, photo.longitude) })
          .where(eq(photos.id, photo.id))
          .run();
      }
    });
    placed += batch.length;
    after = batch[batch.length - 1]?.id ?? after;
    await turn();
  }
  return placed;
}
