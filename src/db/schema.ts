import { sql } from 'drizzle-orm';
import { type AnySQLiteColumn, type IndexColumn, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { NOW_MS } from './now.ts';

export const PHOTO_STATUSES = ['PENDING', 'PROCESSING', 'READY', 'FAILED'] as const;
export type PhotoStatus = (typeof PHOTO_STATUSES)[number];

export const ALBUM_VISIBILITIES = ['PUBLIC', 'PRIVATE'] as const;
export type AlbumVisibility = (typeof ALBUM_VISIBILITIES)[number];

/** How an album orders its photos: by capture time (the default), or as the owner arranged them. */
export const ALBUM_PHOTO_ORDERS = ['TAKEN_AT', 'MANUAL'] as const;
export type AlbumPhotoOrder = (typeof ALBUM_PHOTO_ORDERS)[number];

export const JOB_STATES = ['QUEUED', 'RUNNING', 'DONE', 'FAILED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const photos = sqliteTable(
  'photos',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The id in image URLs and global ids: random, unguessable, never the row id. */
    publicId: text('public_id').notNull().unique(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: PHOTO_STATUSES }).notNull().default('PENDING'),
    failureReason: text('failure_reason'),
    /** Bumped on every reprocess; image URLs carry it as `?v=` so caches can be immutable. */
    version: integer('version').notNull().default(1),
    /**
     * Random, in every image URL beside the version (`?v=<version>.<key>`); replaced when the
     * photo stops being public, so no URL handed out before works again, even if it is republished.
     */
    urlKey: text('url_key').notNull().default(''),
    contentHash: text('content_hash').notNull().unique(),
    byteSize: integer('byte_size').notNull(),
    mimeType: text('mime_type').notNull(),
    originalExtension: text('original_extension').notNull(),
    originalFilename: text('original_filename'),
    /** As displayed: EXIF orientation already applied. */
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    orientation: integer('orientation').notNull().default(1),
    /**
     * The owner's quarter turns clockwise (0-3), applied after the file's own orientation; width and
     * height above already include it. The original is never rewritten: every rendition is turned.
     */
    quarterTurns: integer('quarter_turns').notNull().default(0),
    takenAt: integer('taken_at'),
    takenAtOffset: text('taken_at_offset'),
    cameraMake: text('camera_make'),
    cameraModel: text('camera_model'),
    lensModel: text('lens_model'),
    exposureTime: real('exposure_time'),
    fNumber: real('f_number'),
    iso: integer('iso'),
    focalLength: real('focal_length'),
    latitude: real('latitude'),
    longitude: real('longitude'),
    altitude: real('altitude'),
    placeholderHash: text('placeholder_hash'),
    /**
     * 1 while the photo is in at least one PUBLIC album. Kept by triggers (see the migration
     * photo_visibility_data) in the same statement as the membership or visibility change, never
     * written by the code: who may see a photo is then an index lookup, not a subquery per photo.
     */
    inPublicAlbum: integer('in_public_album').notNull().default(0),
    dominantColor: text('dominant_color'),
    /** The owner's: 1 for a favourite. Only the admin reads it (catalog/access.ts mayViewCuration). */
    favorite: integer('favorite').notNull().default(0),
    /** The owner's stars, 0 (none) to 5; from XMP xmp:Rating at import. Only the admin reads it. */
    rating: integer('rating').notNull().default(0),
    /**
     * The nearest GeoNames place to its GPS position (places), found by processing; NULL until
     * looked up, 0 when no place is near (a place row never has id 0).
     */
    placeId: integer('place_id'),
    /** Its GPS position's cell on the map's finest grid (places/geo-cells.ts), NULL without one: written with the position. */
    geoCell: integer('geo_cell'),
    createdAt: integer('created_at').notNull().default(NOW_MS),
    updatedAt: integer('updated_at').notNull().default(NOW_MS),
  },
  // Every order, alone and after each equality filter (a state, a camera make), has an index for
  // all photos (the admin's) and one for public photos (everyone else's), so every page is read
  // in order from an index and never sorted; the plans are asserted in test/scale-library.test.ts.
  (table) => {
    const orders = {
      created_at: [table.createdAt, table.id],
      taken_sort: [photoTakenSort(table), table.id],
      title: [table.title, table.id],
    };
    const audiences = { '': [], public_: [table.inPublicAlbum] };
    const filters = { '': [], status_: [table.status], camera_make_: [table.cameraMake] };
    const columns = (...parts: unknown[][]) => parts.flat() as [IndexColumn, ...IndexColumn[]];
    const everyPhoto = Object.entries(audiences).flatMap(([audience, prefix]) =>
      Object.entries(filters).flatMap(([filter, equal]) =>
        Object.entries(orders).map(([order, keys]) =>
          // With taken_at last, a capture-time range (a range of the sort key where taken_at is not null) is counted from the index alone.
          index(`photos_${audience}${filter}${order}_idx`).on(
            ...columns(prefix, equal, keys, order === 'taken_sort' ? [table.takenAt] : []),
          ),
        ),
      ),
    );
    // Favourites and rated photos are few: partial indexes hold only them, so a filter by either
    // reads what it matches in order. A query uses one only when its WHERE repeats the index's
    // condition word for word (catalog/photo-filter.ts writes them so). The admin's alone: no one
    // else may filter by them.
    const curated = Object.entries(orders).flatMap(([order, keys]) => [
      index(`photos_favorite_${order}_idx`)
        .on(...columns(keys))
        .where(sql`"favorite" = 1`),
      index(`photos_rated_${order}_idx`)
        .on(...columns([table.rating], keys))
        .where(sql`"rating" > 0`),
    ]);
    // Geotagged photos no place was looked up for yet (places/photo-places.ts): none once looked.
    const unplaced = index('photos_unplaced_idx').on(table.id).where(sql`"latitude" IS NOT NULL AND "place_id" IS NULL`);
    // The photos of a map cell at any level are one range of codes.
    const mapped = index('photos_geo_cell_idx').on(table.geoCell).where(sql`"geo_cell" IS NOT NULL`);
    return [...everyPhoto, ...curated, unplaced, mapped];
  },
);

/** The capture-time sort key: when it was taken, or else when it was added. Indexed as this very expression. */
function photoTakenSort(table: { takenAt: AnySQLiteColumn; createdAt: AnySQLiteColumn }) {
  return sql`coalesce(${table.takenAt}, ${table.createdAt})`;
}

export const albums = sqliteTable(
  'albums',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    publicId: text('public_id').notNull().unique(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    visibility: text('visibility', { enum: ALBUM_VISIBILITIES }).notNull().default('PRIVATE'),
    coverPhotoId: integer('cover_photo_id').references(() => photos.id, { onDelete: 'set null' }),
    /** How many photos the album holds: kept by triggers on album_photos, like photos.in_public_album. */
    photoCount: integer('photo_count').notNull().default(0),
    /** TAKEN_AT: the photos by capture time, oldest first; MANUAL: by album_photos.position, the owner's order. */
    photoOrder: text('photo_order', { enum: ALBUM_PHOTO_ORDERS }).notNull().default('TAKEN_AT'),
    /**
     * The newest capture-time sort key of its photos (album_photos.photo_taken_sort), 0 while it
     * is empty: kept by triggers, so the album list by newest photo is an index walk.
     */
    latestTakenSort: integer('latest_taken_sort').notNull().default(0),
    createdAt: integer('created_at').notNull().default(NOW_MS),
    updatedAt: integer('updated_at').notNull().default(NOW_MS),
  },
  (table) => [
    index('albums_title_idx').on(table.title, table.id),
    index('albums_created_at_idx').on(table.createdAt, table.id),
    index('albums_updated_at_idx').on(table.updatedAt, table.id),
    index('albums_visibility_created_at_idx').on(table.visibility, table.createdAt, table.id),
    index('albums_visibility_updated_at_idx').on(table.visibility, table.updatedAt, table.id),
    index('albums_visibility_title_idx').on(table.visibility, table.title, table.id),
    index('albums_latest_taken_idx').on(table.latestTakenSort, table.id),
    index('albums_visibility_latest_taken_idx').on(table.visibility, table.latestTakenSort, table.id),
  ],
);

export const albumPhotos = sqliteTable(
  'album_photos',
  {
    albumId: integer('album_id')
      .notNull()
      .references(() => albums.id, { onDelete: 'cascade' }),
    photoId: integer('photo_id')
      .notNull()
      .references(() => photos.id, { onDelete: 'cascade' }),
    /** The album's own order; gaps are allowed so a move touches few rows. */
    position: integer('position').notNull(),
    addedAt: integer('added_at').notNull().default(NOW_MS),
    /*
     * The photo's own sort keys (created_at, coalesce(taken_at, created_at), title), copied here by
     * triggers whenever the membership is made or the photo changes, so the photos of one album
     * in any library order are an index seek: a filter by album never sorts the album.
     */
    photoCreatedAt: integer('photo_created_at').notNull().default(0),
    photoTakenSort: integer('photo_taken_sort').notNull().default(0),
    photoTitle: text('photo_title').notNull().default(''),
  },
  (table) => [
    primaryKey({ columns: [table.albumId, table.photoId] }),
    // With the photo id, the index alone gives the album's total order: a page never sorts the whole album.
    index('album_photos_order_idx').on(table.albumId, table.position, table.photoId),
    index('album_photos_photo_idx').on(table.photoId),
    index('album_photos_created_at_idx').on(table.albumId, table.photoCreatedAt, table.photoId),
    index('album_photos_taken_sort_idx').on(table.albumId, table.photoTakenSort, table.photoId),
    index('album_photos_title_idx').on(table.albumId, table.photoTitle, table.photoId),
  ],
);

/** The album_photos column each album order sorts by (then photo_id), each first in an index after album_id. */
export const ALBUM_PHOTO_SORT_COLUMN = {
  TAKEN_AT: albumPhotos.photoTakenSort,
  MANUAL: albumPhotos.position,
} as const satisfies Record<AlbumPhotoOrder, AnySQLiteColumn>;

export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    photoId: integer('photo_id')
      .notNull()
      .references(() => photos.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    state: text('state', { enum: JOB_STATES }).notNull().default('QUEUED'),
    attempts: integer('attempts').notNull().default(0),
    /** A queued job is not claimed before this time: retries back off through it. */
    runAfter: integer('run_after').notNull().default(NOW_MS),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: integer('lease_expires_at'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull().default(NOW_MS),
    updatedAt: integer('updated_at').notNull().default(NOW_MS),
  },
  (table) => [index('jobs_claim_idx').on(table.state, table.runAfter), index('jobs_photo_idx').on(table.photoId)],
);

export const shareLinks = sqliteTable(
  'share_links',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The id in global ids and in image URLs signed under the link (`s=`); not a credential. */
    publicId: text('public_id').notNull().unique(),
    albumId: integer('album_id')
      .notNull()
      .references(() => albums.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token, hex: the token itself is shown once, at creation, and never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    /** The token's first characters, so a person can tell links apart in a list. */
    tokenPrefix: text('token_prefix').notNull(),
    label: text('label').notNull().default(''),
    /** scrypt, as `scrypt$<N>$<r>$<p>$<salt>$<hash>`; null when the link has no password. */
    passwordHash: text('password_hash'),
    /**
     * Random; every unlock credential and every image URL signed under the link covers it. A new
     * password replaces it, so nothing handed out under the old one works again.
     */
    key: text('key').notNull(),
    allowOriginals: integer('allow_originals', { mode: 'boolean' }).notNull().default(false),
    showMetadata: integer('show_metadata', { mode: 'boolean' }).notNull().default(true),
    showLocation: integer('show_location', { mode: 'boolean' }).notNull().default(false),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
    viewCount: integer('view_count').notNull().default(0),
    createdAt: integer('created_at').notNull().default(NOW_MS),
    updatedAt: integer('updated_at').notNull().default(NOW_MS),
  },
  (table) => [
    index('share_links_album_idx').on(table.albumId, table.id),
    index('share_links_created_at_idx').on(table.createdAt, table.id),
  ],
);

/**
 * How many photos each audience sees, in all and per value of each filter that has one: kept by
 * triggers on photos (the migration photo_visibility_data), so a total is one row, not a count
 * over the library. `audience` is 'all' (the admin) or 'public'; `facet` is '' (the total),
 * 'make' or 'status', and `value` the filter's value ('' for the total).
 */
export const photoTallies = sqliteTable(
  'photo_tallies',
  {
    audience: text('audience', { enum: ['all', 'public'] }).notNull(),
    facet: text('facet', { enum: ['', 'make', 'status'] }).notNull(),
    value: text('value').notNull(),
    photos: integer('photos').notNull(),
  },
  (table) => [primaryKey({ columns: [table.audience, table.facet, table.value] })],
);

/** The calendar spans a timeline counts photos in: a UTC day, month or year. */
export const TIMELINE_BUCKET_SIZES = ['DAY', 'MONTH', 'YEAR'] as const;
export type TimelineBucketSize = (typeof TIMELINE_BUCKET_SIZES)[number];

/**
 * How many photos each audience has per UTC day, month and year of capture (`start`: the
 * bucket's first instant, in ms; photos without a capture time are not here): kept by triggers
 * on photos (the migration photo_timeline), so the whole library's timeline, or all public
 * photos', reads one row per bucket it answers, never a photo. Buckets whose photos have all
 * gone stay, at 0.
 */
export const photoTimeline = sqliteTable(
  'photo_timeline',
  {
    audience: text('audience', { enum: ['all', 'public'] }).notNull(),
    size: text('size', { enum: TIMELINE_BUCKET_SIZES }).notNull(),
    start: integer('start').notNull(),
    photos: integer('photos').notNull(),
  },
  (table) => [primaryKey({ columns: [table.audience, table.size, table.start] })],
);

/**
 * Every change to a photo, an album or a membership, by whoever made it (this server, a
 * `lightbox worker`, a CLI import): written by triggers (the migration change_feed) in the
 * statement that makes the change, read by catalog/change-feed.ts after the database version
 * moves, to tell subscribers what they may see of it. `was_public` is what the anonymous saw of
 * the subject before (a photo's in_public_album, an album's visibility), so a removal reaches
 * only those who could see the thing removed. Pruned to the newest rows by the server.
 */
export const changes = sqliteTable('changes', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  subject: text('subject', { enum: ['photo', 'album'] }).notNull(),
  rowId: integer('row_id').notNull(),
  publicId: text('public_id').notNull(),
  kind: text('kind', { enum: ['added', 'changed', 'removed', 'joined', 'left'] }).notNull(),
  /** For a membership (joined, left): the album. */
  albumId: integer('album_id'),
  wasPublic: integer('was_public', { mode: 'boolean' }).notNull(),
});

/**
 * The owner's words for photos, one row per distinct word (by `key`: the name folded for
 * comparison, so "Lisbon" and "lisbon" are one keyword); a keyword no photo has any more is
 * removed by a trigger (the migration photo_search).
 */
export const keywords = sqliteTable('keywords', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** As first written. */
  name: text('name').notNull(),
  key: text('key').notNull().unique(),
});

export const photoKeywords = sqliteTable(
  'photo_keywords',
  {
    photoId: integer('photo_id')
      .notNull()
      .references(() => photos.id, { onDelete: 'cascade' }),
    keywordId: integer('keyword_id')
      .notNull()
      .references(() => keywords.id, { onDelete: 'cascade' }),
  },
  // By keyword, with the photo: a filter by keyword reads its photos and nothing else.
  (table) => [
    primaryKey({ columns: [table.photoId, table.keywordId] }),
    index('photo_keywords_keyword_idx').on(table.keywordId, table.photoId),
  ],
);

/**
 * The GeoNames places photos were found at (processing/places.ts): only those some photo is
 * near, written once each, so a photo's place is one row away.
 */
export const places = sqliteTable('places', {
  /** The GeoNames id. */
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  /** ISO 3166-1 alpha-2. */
  countryCode: text('country_code').notNull(),
  /** In English (Intl.DisplayNames). */
  country: text('country').notNull(),
  latitude: real('latitude').notNull(),
  longitude: real('longitude').notNull(),
});

/**
 * How many geotagged photos each map cell holds, at every other level of the grid (0, 2, … 12;
 * places/geo-cells.ts), with the sums of their positions (their centre is the mean): kept by
 * triggers on photos (the migration photo_map), so the map of the whole library at any zoom
 * reads one row per cell in view, never a photo. Cells whose photos have all gone stay, at 0.
 */
export const photoCells = sqliteTable(
  'photo_cells',
  {
    level: integer('level').notNull(),
    cell: integer('cell').notNull(),
    photos: integer('photos').notNull(),
    latitudeSum: real('latitude_sum').notNull(),
    longitudeSum: real('longitude_sum').notNull(),
  },
  (table) => [primaryKey({ columns: [table.level, table.cell] })],
);
