import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { NOW_MS } from './now.ts';

export const PHOTO_STATUSES = ['PENDING', 'PROCESSING', 'READY', 'FAILED'] as const;
export type PhotoStatus = (typeof PHOTO_STATUSES)[number];

export const ALBUM_VISIBILITIES = ['PUBLIC', 'PRIVATE'] as const;
export type AlbumVisibility = (typeof ALBUM_VISIBILITIES)[number];

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
    dominantColor: text('dominant_color'),
    createdAt: integer('created_at').notNull().default(NOW_MS),
    updatedAt: integer('updated_at').notNull().default(NOW_MS),
  },
  (table) => [
    index('photos_created_at_idx').on(table.createdAt, table.id),
    index('photos_taken_at_idx').on(table.takenAt, table.id),
    index('photos_title_idx').on(table.title, table.id),
    index('photos_status_idx').on(table.status),
    index('photos_camera_make_idx').on(table.cameraMake),
  ],
);

export const albums = sqliteTable(
  'albums',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    publicId: text('public_id').notNull().unique(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    visibility: text('visibility', { enum: ALBUM_VISIBILITIES }).notNull().default('PRIVATE'),
    coverPhotoId: integer('cover_photo_id').references(() => photos.id, { onDelete: 'set null' }),
    createdAt: integer('created_at').notNull().default(NOW_MS),
    updatedAt: integer('updated_at').notNull().default(NOW_MS),
  },
  (table) => [
    index('albums_title_idx').on(table.title),
    index('albums_visibility_idx').on(table.visibility),
    index('albums_created_at_idx').on(table.createdAt, table.id),
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
  },
  (table) => [
    primaryKey({ columns: [table.albumId, table.photoId] }),
    // With the photo id, the index alone gives the album's total order: a page never sorts the whole album.
    index('album_photos_order_idx').on(table.albumId, table.position, table.photoId),
    index('album_photos_photo_idx').on(table.photoId),
  ],
);

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
