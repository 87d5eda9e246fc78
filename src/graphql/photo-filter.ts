import type { PhotoFilter as CatalogPhotoFilter } from '../catalog/photo-filter.ts';
import type { PhotoStatus } from '../catalog/photos.ts';
import { keywordKey, searchWords, validGeoBox, validKeyword, validRating } from '../catalog/validation.ts';
import { ValidationError } from '../errors.ts';
import type { GeoBox } from '../places/geo-cells.ts';
import { builder } from './builder.ts';
import { GeoBoxInput } from './map.ts';
import { PhotoStatusEnum } from './photo.ts';
import { AlbumRef } from './refs.ts';

export const PhotoFilter = builder.inputType('PhotoFilter', {
  description:
    "All given conditions must hold. Conditions on capture details see what the caller reads: for a share link that hides metadata, where every photo's takenAt and camera read null, they match nothing.",
  fields: (t) => ({
    albumId: t.globalID({ for: AlbumRef, description: 'Only photos in this album.' }),
    status: t.field({ type: [PhotoStatusEnum], description: 'Only photos in one of these states.' }),
    takenAfter: t.field({ type: 'DateTime', description: 'Taken at or after this instant.' }),
    takenBefore: t.field({ type: 'DateTime', description: 'Taken before this instant.' }),
    cameraMake: t.string({ description: 'Camera make, exactly as EXIF names it (e.g. "NIKON").' }),
    favorite: t.boolean({ description: "true: only the owner's favourites (false is refused: leave it out for every photo)." }),
    minRating: t.int({ description: 'Only photos with at least this many stars, 1 to 5.' }),
    text: t.string({
      description:
        'Words every photo must hold, each as a prefix as a person types ("lisb" finds Lisbon), accents folded ("Zurich" finds Zürich), in its title, description, keywords, camera and lens, and for the owner also its albums\' titles and its place; others search only what they may read. Up to 200 characters and 12 words; punctuation alone is no word (and finds nothing). With it, photos come by relevance unless orderBy says otherwise.',
    }),
    keyword: t.string({ description: 'Only photos with this keyword (case does not matter).' }),
    area: t.field({
      type: GeoBoxInput,
      description:
        "Only photos taken inside this box (a PhotoCluster's bounds, say): the owner's map, so for anyone else it matches nothing.",
    }),
  }),
});

interface PhotoFilterValues {
  albumId?: { id: string } | null;
  status?: PhotoStatus[] | null;
  takenAfter?: Date | null;
  takenBefore?: Date | null;
  cameraMake?: string | null;
  favorite?: boolean | null;
  minRating?: number | null;
  text?: string | null;
  keyword?: string | null;
  area?: GeoBox | null;
}

/** The filter as the catalog reads it: instants in ms, the album by its public id. */
export function catalogFilter(filter: PhotoFilterValues | null | undefined): CatalogPhotoFilter {
  if (!filter) return {};
  return {
    albumPublicId: filter.albumId?.id ?? undefined,
    statuses: filter.status ?? undefined,
    takenAfterMs: filter.takenAfter?.getTime(),
    takenBeforeMs: filter.takenBefore?.getTime(),
    cameraMake: filter.cameraMake ?? undefined,
    favorite: favoriteOnly(filter.favorite),
    minRating: given(filter.minRating, (stars) => validRating('minRating', stars, 1)),
    searchWords: given(filter.text, (text) => searchWords('text', text)),
    keywordKey: given(filter.keyword, (keyword) => keywordKey(validKeyword('keyword', keyword))),
    area: given(filter.area, (area) => validGeoBox('area', area)),
  };
}

/** A field left out or null is no condition; a given one is read (and checked) by `read`. */
function given<Value, Read>(value: Value | null | undefined, read: (value: Value) => Read): Read | undefined {
  return value === null || value === undefined ? undefined : read(value);
}

/**
 * Only true narrows the list: the photos that are not favourites are nearly all of them, and
 * counting them would walk the library.
 */
function favoriteOnly(favorite: boolean | null | undefined): true | undefined {
  if (favorite === false) throw new ValidationError('favorite', 'favorite: false is not a filter: leave it out to list every photo');
  return favorite === true ? true : undefined;
}
