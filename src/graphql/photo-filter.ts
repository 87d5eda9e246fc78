import type { PhotoFilter as CatalogPhotoFilter } from '../catalog/photo-filter.ts';
import type { PhotoStatus } from '../catalog/photos.ts';
import { validRating } from '../catalog/validation.ts';
import { ValidationError } from '../errors.ts';
import { builder } from './builder.ts';
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
    minRating: filter.minRating === null || filter.minRating === undefined ? undefined : validRating('minRating', filter.minRating, 1),
  };
}

/**
 * Only true narrows the list: the photos that are not favourites are nearly all of them, and
 * counting them would walk the library.
 */
function favoriteOnly(favorite: boolean | null | undefined): true | undefined {
  if (favorite === false) throw new ValidationError('favorite', 'favorite: false is not a filter: leave it out to list every photo');
  return favorite === true ? true : undefined;
}
