CREATE TABLE `album_photos` (
	`album_id` integer NOT NULL,
	`photo_id` integer NOT NULL,
	`position` integer NOT NULL,
	`added_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT `album_photos_pk` PRIMARY KEY(`album_id`, `photo_id`),
	CONSTRAINT `fk_album_photos_album_id_albums_id_fk` FOREIGN KEY (`album_id`) REFERENCES `albums`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_album_photos_photo_id_photos_id_fk` FOREIGN KEY (`photo_id`) REFERENCES `photos`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `albums` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`public_id` text NOT NULL UNIQUE,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`visibility` text DEFAULT 'PRIVATE' NOT NULL,
	`cover_photo_id` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT `fk_albums_cover_photo_id_photos_id_fk` FOREIGN KEY (`cover_photo_id`) REFERENCES `photos`(`id`) ON DELETE SET NULL
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`photo_id` integer NOT NULL,
	`kind` text NOT NULL,
	`state` text DEFAULT 'QUEUED' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`run_after` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`last_error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT `fk_jobs_photo_id_photos_id_fk` FOREIGN KEY (`photo_id`) REFERENCES `photos`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `photos` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`public_id` text NOT NULL UNIQUE,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`failure_reason` text,
	`version` integer DEFAULT 1 NOT NULL,
	`content_hash` text NOT NULL UNIQUE,
	`byte_size` integer NOT NULL,
	`mime_type` text NOT NULL,
	`original_extension` text NOT NULL,
	`original_filename` text,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`orientation` integer DEFAULT 1 NOT NULL,
	`taken_at` integer,
	`taken_at_offset` text,
	`camera_make` text,
	`camera_model` text,
	`lens_model` text,
	`exposure_time` real,
	`f_number` real,
	`iso` integer,
	`focal_length` real,
	`latitude` real,
	`longitude` real,
	`altitude` real,
	`placeholder_hash` text,
	`dominant_color` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `album_photos_position_idx` ON `album_photos` (`album_id`,`position`);--> statement-breakpoint
CREATE INDEX `album_photos_photo_idx` ON `album_photos` (`photo_id`);--> statement-breakpoint
CREATE INDEX `albums_title_idx` ON `albums` (`title`);--> statement-breakpoint
CREATE INDEX `albums_visibility_idx` ON `albums` (`visibility`);--> statement-breakpoint
CREATE INDEX `albums_created_at_idx` ON `albums` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_claim_idx` ON `jobs` (`state`,`run_after`);--> statement-breakpoint
CREATE INDEX `jobs_photo_idx` ON `jobs` (`photo_id`);--> statement-breakpoint
CREATE INDEX `photos_created_at_idx` ON `photos` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_taken_at_idx` ON `photos` (`taken_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_title_idx` ON `photos` (`title`,`id`);--> statement-breakpoint
CREATE INDEX `photos_status_idx` ON `photos` (`status`);--> statement-breakpoint
CREATE INDEX `photos_camera_make_idx` ON `photos` (`camera_make`);