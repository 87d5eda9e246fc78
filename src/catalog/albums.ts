import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db/client.ts';
import { NOW_MS } from '../db/now.ts';
import { ALBUM_PHOTO_SORT_COLUMN, type AlbumPhotoOrder, type AlbumVisibility, albumPhotos, albums, photos } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { newPublicId } from '../ids.ts';
import { leftSharedAlbum, unpublishing } from './url-keys.ts';
import { validDescription, validPhotoList, validTitle } from './validation.ts';

/** Gap between neighbours' positions, so appending never has to renumber. */
export const POSITION_STEP = 1024;

export type AlbumRow = typeof albums.$inferSelect;
export { ALBUM_VISIBILITIES } from '../db/schema.ts';

/** The album a title names when several may share it: the oldest, the one imports fill. */
export function oldestAlbumTitled(db: Queryable, title: string): AlbumRow | undefined {
  return db.select().from(albums).where(eq(albums.title, title)).orderBy(asc(albums.id)).limit(1).get();
}

/** The oldest album with this title, or a new one: re-running an import fills the same album. */
export function findOrCreateAlbum(db: Queryable, title: string, visibility: AlbumVisibility): { id: number; created: boolean } {
  const existing = oldestAlbumTitled(db, title);
  if (existing) return { id: existing.id, created: false };
  const created = db.insert(albums).values({ publicId: newPublicId(), title, visibility }).returning({ id: albums.id }).get();
  return { id: created.id, created: true };
}

/** Albums a person may mean: the one with this public id, else every album with this title. */
export function albumsNamed(db: Queryable, name: { publicId: string; title: string }): AlbumRow[] {
  const byId = db.select().from(albums).where(eq(albums.publicId, name.publicId)).all();
  if (byId.length > 0) return byId;
  return db.select().from(albums).where(eq(albums.title, name.title)).orderBy(asc(albums.id)).all();
}

/** Every album, oldest first (each row says how many photos it holds). */
export function listAlbums(db: Queryable): AlbumRow[] {
  return db.select().from(albums).orderBy(asc(albums.id)).all();
}

function albumByPublicId(db: Queryable, publicId: string): AlbumRow {
  const album = db.select().from(albums).where(eq(albums.publicId, publicId)).get();
  if (album === undefined) throw new NotFoundError('Album', publicId);
  return album;
}

/** The row id of an album by its public id; NotFoundError when there is none. */
export function findAlbumRowId(db: Queryable, publicId: string): number {
  return albumByPublicId(db, publicId).id;
}

/** Row ids of the named photos, in the order named; any unknown one is a NotFoundError. */
function photoRowIds(db: Queryable, publicIds: readonly string[]): number[] {
  if (publicIds.length === 0) return [];
  const rows = db
    .select({ id: photos.id, publicId: photos.publicId })
    .from(photos)
    .where(inArray(photos.publicId, [...publicIds]))
    .all();
  const byPublicId = new Map(rows.map((row) => [row.publicId, row.id]));
  return publicIds.map((publicId) => {
    const id = byPublicId.get(publicId);
    if (id === undefined) throw new NotFoundError('Photo', publicId);
    return id;
  });
}

/** The album's photos in the order it shows them (its photoOrder). */
function currentOrder(db: Queryable, album: Pick<AlbumRow, 'id' | 'photoOrder'>): number[] {
  return db
    .select({ photoId: albumPhotos.photoId })
    .from(albumPhotos)
    .where(eq(albumPhotos.albumId, album.id))
    .orderBy(asc(ALBUM_PHOTO_SORT_COLUMN[album.photoOrder]), asc(albumPhotos.photoId))
    .all()
    .map((row) => row.photoId);
}

/** Rewrites positions to match `order`, touching only rows whose position changes. */
function writeOrder(db: Queryable, albumId: number, order: readonly number[]): void {
  const existing = new Map(
    db
      .select({ photoId: albumPhotos.photoId, position: albumPhotos.position })
      .from(albumPhotos)
      .where(eq(albumPhotos.albumId, albumId))
      .all()
      .map((row) => [row.photoId, row.position]),
  );
  order.forEach((photoId, index) => {
    const position = (index + 1) * POSITION_STEP;
    if (!existing.has(photoId)) {
      db.insert(albumPhotos).values({ albumId, photoId, position }).run();
    } else if (existing.get(photoId) !== position) {
      db.update(albumPhotos)
        .set({ position })
        .where(and(eq(albumPhotos.albumId, albumId), eq(albumPhotos.photoId, photoId)))
        .run();
    }
  });
}

function touch(db: Queryable, albumId: number, changes: Partial<Pick<AlbumRow, 'photoOrder'>> = {}): AlbumRow {
  return db
    .update(albums)
    .set({ ...changes, updatedAt: NOW_MS })
    .where(eq(albums.id, albumId))
    .returning()
    .get() as AlbumRow;
}

/** Puts the album's photos in `order`; an arrangement is the owner's order (MANUAL) from then on. */
function arrange(db: Queryable, albumId: number, order: readonly number[]): AlbumRow {
  writeOrder(db, albumId, order);
  return touch(db, albumId, { photoOrder: 'MANUAL' });
}

function clampIndex(field: string, index: number | null | undefined, length: number): number {
  if (index === null || index === undefined) return length;
  if (!Number.isInteger(index) || index < 0) throw new ValidationError(field, `${field} must be a whole number from 0`);
  return Math.min(index, length);
}

export interface AlbumInput {
  title: string;
  description?: string | null;
  visibility?: AlbumVisibility | null;
  photoOrder?: AlbumPhotoOrder | null;
}

export function createAlbum(db: Db, input: AlbumInput): AlbumRow {
  const values = {
    publicId: newPublicId(),
    title: validTitle('title', input.title),
    description: validDescription('description', input.description ?? ''),
    visibility: input.visibility ?? 'PRIVATE',
    photoOrder: input.photoOrder ?? 'TAKEN_AT',
  };
  return db.insert(albums).values(values).returning().get();
}

export interface AlbumPatch {
  title?: string | null;
  description?: string | null;
  visibility?: AlbumVisibility | null;
  photoOrder?: AlbumPhotoOrder | null;
}

export function updateAlbum(db: Db, publicId: string, patch: AlbumPatch): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    const changes: Partial<AlbumRow> = {};
    if (patch.title !== undefined && patch.title !== null) changes.title = validTitle('title', patch.title);
    if (patch.description !== undefined && patch.description !== null)
      changes.description = validDescription('description', patch.description);
    if (patch.visibility !== undefined && patch.visibility !== null) changes.visibility = patch.visibility;
    if (patch.photoOrder !== undefined && patch.photoOrder !== null) changes.photoOrder = patch.photoOrder;
    if (Object.keys(changes).length > 0) {
      const write = () => tx.update(albums).set(changes).where(eq(albums.id, album.id)).run();
      // Only making an album private can unpublish its photos; other changes skip the two lookups.
      if (changes.visibility === 'PRIVATE') unpublishing(tx, currentOrder(tx, album), write);
      else write();
    }
    return touch(tx, album.id);
  });
}

/** Removes the album and its memberships; the photos themselves stay. */
export function deleteAlbum(db: Db, publicId: string): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    unpublishing(tx, currentOrder(tx, album), () => tx.delete(albums).where(eq(albums.id, album.id)).run());
    return album;
  });
}

/**
 * Puts photos after the album's last position, each once; those already in the album stay where
 * they are. A TAKEN_AT album shows them in their place by capture time all the same.
 */
export function appendToAlbum(db: Queryable, albumId: number, photoIds: readonly number[]): void {
  for (const photoId of photoIds) {
    db.insert(albumPhotos)
      .values({
        albumId,
        photoId,
        position: sql`(SELECT coalesce(max(${albumPhotos.position}), 0) + ${POSITION_STEP} FROM ${albumPhotos} WHERE ${albumPhotos.albumId} = ${albumId})`,
      })
      .onConflictDoNothing()
      .run();
  }
}

/**
 * Adds photos at `index` (0 = first, in the order the album shows; default: the end). Photos
 * already in the album move there. An index arranges the album (MANUAL from then on); without one,
 * a TAKEN_AT album takes them in by capture time.
 */
export function addPhotosToAlbum(db: Db, publicId: string, photoPublicIds: readonly string[], index?: number | null): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    const added = photoRowIds(tx, validPhotoList('photoIds', photoPublicIds));
    if (album.photoOrder === 'TAKEN_AT' && (index === null || index === undefined)) {
      appendToAlbum(tx, album.id, added);
      return touch(tx, album.id);
    }
    const moving = new Set(added);
    const rest = currentOrder(tx, album).filter((photoId) => !moving.has(photoId));
    const at = clampIndex('position', index, rest.length);
    return arrange(tx, album.id, [...rest.slice(0, at), ...added, ...rest.slice(at)]);
  });
}

/** Removes photos from the album (not from the library); a removed cover falls back to the first photo. */
export function removePhotosFromAlbum(db: Db, publicId: string, photoPublicIds: readonly string[]): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    const removed = photoRowIds(tx, validPhotoList('photoIds', photoPublicIds));
    unpublishing(tx, removed, () =>
      tx
        .delete(albumPhotos)
        .where(and(eq(albumPhotos.albumId, album.id), inArray(albumPhotos.photoId, removed)))
        .run(),
    );
    leftSharedAlbum(tx, album.id, removed);
    if (album.coverPhotoId !== null && removed.includes(album.coverPhotoId)) {
      tx.update(albums).set({ coverPhotoId: null }).where(eq(albums.id, album.id)).run();
    }
    return touch(tx, album.id);
  });
}

/** Moves one photo of the album to `index` (0 = first). */
export function movePhotoInAlbum(db: Db, publicId: string, photoPublicId: string, index: number): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    const [photoId] = photoRowIds(tx, [photoPublicId]) as [number];
    const order = currentOrder(tx, album);
    if (!order.includes(photoId)) throw new ValidationError('photoId', 'the photo is not in this album');
    const rest = order.filter((id) => id !== photoId);
    const at = clampIndex('position', index, rest.length);
    return arrange(tx, album.id, [...rest.slice(0, at), photoId, ...rest.slice(at)]);
  });
}

/** Sets the whole order at once: `photoIds` must name every photo of the album exactly once. */
export function setAlbumPhotoOrder(db: Db, publicId: string, photoPublicIds: readonly string[]): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    const order = photoRowIds(tx, validPhotoList('photoIds', photoPublicIds, true));
    const members = new Set(currentOrder(tx, album));
    if (order.length !== members.size || order.some((id) => !members.has(id))) {
      throw new ValidationError('photoIds', `photoIds must list each of the album's ${members.size} photos exactly once`);
    }
    return arrange(tx, album.id, order);
  });
}

/** Sets the cover to one of the album's photos, or back to "the first photo" with null. */
export function setAlbumCover(db: Db, publicId: string, photoPublicId: string | null): AlbumRow {
  return db.transaction((tx) => {
    const album = albumByPublicId(tx, publicId);
    let coverPhotoId: number | null = null;
    if (photoPublicId !== null) {
      [coverPhotoId] = photoRowIds(tx, [photoPublicId]) as [number];
      if (!currentOrder(tx, album).includes(coverPhotoId)) throw new ValidationError('photoId', 'the cover must be a photo of the album');
    }
    tx.update(albums).set({ coverPhotoId }).where(eq(albums.id, album.id)).run();
    return touch(tx, album.id);
  });
}
