CREATE TABLE `share_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`public_id` text NOT NULL UNIQUE,
	`album_id` integer NOT NULL,
	`token_hash` text NOT NULL UNIQUE,
	`token_prefix` text NOT NULL,
	`label` text DEFAULT '' NOT NULL,
	`password_hash` text,
	`key` text NOT NULL,
	`allow_originals` integer DEFAULT false NOT NULL,
	`show_metadata` integer DEFAULT true NOT NULL,
	`show_location` integer DEFAULT false NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	`view_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT `fk_share_links_album_id_albums_id_fk` FOREIGN KEY (`album_id`) REFERENCES `albums`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE INDEX `share_links_album_idx` ON `share_links` (`album_id`,`id`);--> statement-breakpoint
CREATE INDEX `share_links_created_at_idx` ON `share_links` (`created_at`,`id`);