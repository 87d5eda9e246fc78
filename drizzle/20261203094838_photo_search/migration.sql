CREATE TABLE `keywords` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`name` text NOT NULL,
	`key` text NOT NULL UNIQUE
);
--> statement-breakpoint
CREATE TABLE `photo_keywords` (
	`photo_id` integer NOT NULL,
	`keyword_id` integer NOT NULL,
	CONSTRAINT `photo_keywords_pk` PRIMARY KEY(`photo_id`, `keyword_id`),
	CONSTRAINT `fk_photo_keywords_photo_id_photos_id_fk` FOREIGN KEY (`photo_id`) REFERENCES `photos`(`id`) ON DELETE CASCADE,
	CONSTRAINT `fk_photo_keywords_keyword_id_keywords_id_fk` FOREIGN KEY (`keyword_id`) REFERENCES `keywords`(`id`) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE `places` (
	`id` integer PRIMARY KEY,
	`name` text NOT NULL,
	`country_code` text NOT NULL,
	`country` text NOT NULL,
	`latitude` real NOT NULL,
	`longitude` real NOT NULL
);
--> statement-breakpoint
ALTER TABLE `photos` ADD `place_id` integer;--> statement-breakpoint
CREATE INDEX `photo_keywords_keyword_idx` ON `photo_keywords` (`keyword_id`,`photo_id`);--> statement-breakpoint
CREATE INDEX `photos_unplaced_idx` ON `photos` (`id`) WHERE "latitude" IS NOT NULL AND "place_id" IS NULL;--> statement-breakpoint
-- Full-text search over what names a photo (catalog/photo-search.ts): one row per photo, rowid =
-- photos.id, kept by the triggers below in the statement that changes what it holds. Accents
-- fold ("Zurich" finds "Zürich"); two- and three-letter prefixes are indexed for typing.
CREATE VIRTUAL TABLE `photo_search` USING fts5(
	`title`, `description`, `keywords`, `albums`, `camera`, `place`,
	tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
--> statement-breakpoint
-- A title hit outranks a keyword's, which outranks an album's or a place's.
INSERT INTO `photo_search` (`photo_search`, `rank`) VALUES ('rank', 'bm25(8.0, 2.0, 4.0, 2.0, 1.0, 2.0)');
--> statement-breakpoint
INSERT INTO `photo_search` (`rowid`, `title`, `description`, `keywords`, `albums`, `camera`, `place`)
	SELECT `id`, `title`, `description`, '',
		coalesce((SELECT group_concat(`albums`.`title`, ' ') FROM `album_photos` JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id` WHERE `album_photos`.`photo_id` = `photos`.`id`), ''),
		trim(coalesce(`camera_make`, '') || ' ' || coalesce(`camera_model`, '') || ' ' || coalesce(`lens_model`, '')),
		''
	FROM `photos`;
--> statement-breakpoint
CREATE TRIGGER `photo_search_photo_in` AFTER INSERT ON `photos` BEGIN
	INSERT INTO `photo_search` (`rowid`, `title`, `description`, `keywords`, `albums`, `camera`, `place`)
	VALUES (NEW.`id`, NEW.`title`, NEW.`description`, '', '',
		trim(coalesce(NEW.`camera_make`, '') || ' ' || coalesce(NEW.`camera_model`, '') || ' ' || coalesce(NEW.`lens_model`, '')),
		coalesce((SELECT `name` || ' ' || `country` FROM `places` WHERE `id` = NEW.`place_id`), ''));
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_photo_again` AFTER UPDATE OF `title`, `description`, `camera_make`, `camera_model`, `lens_model`, `place_id` ON `photos` BEGIN
	UPDATE `photo_search` SET `title` = NEW.`title`, `description` = NEW.`description`,
		`camera` = trim(coalesce(NEW.`camera_make`, '') || ' ' || coalesce(NEW.`camera_model`, '') || ' ' || coalesce(NEW.`lens_model`, '')),
		`place` = coalesce((SELECT `name` || ' ' || `country` FROM `places` WHERE `id` = NEW.`place_id`), '')
	WHERE `rowid` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_photo_out` AFTER DELETE ON `photos` BEGIN
	DELETE FROM `photo_search` WHERE `rowid` = OLD.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_member_in` AFTER INSERT ON `album_photos` BEGIN
	UPDATE `photo_search` SET `albums` = coalesce((SELECT group_concat(`albums`.`title`, ' ') FROM `album_photos` JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id` WHERE `album_photos`.`photo_id` = NEW.`photo_id`), '')
	WHERE `rowid` = NEW.`photo_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_member_out` AFTER DELETE ON `album_photos` BEGIN
	UPDATE `photo_search` SET `albums` = coalesce((SELECT group_concat(`albums`.`title`, ' ') FROM `album_photos` JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id` WHERE `album_photos`.`photo_id` = OLD.`photo_id`), '')
	WHERE `rowid` = OLD.`photo_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_album_renamed` AFTER UPDATE OF `title` ON `albums` BEGIN
	UPDATE `photo_search` SET `albums` = coalesce((SELECT group_concat(`albums`.`title`, ' ') FROM `album_photos` JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id` WHERE `album_photos`.`photo_id` = `photo_search`.`rowid`), '')
	WHERE `rowid` IN (SELECT `photo_id` FROM `album_photos` WHERE `album_id` = NEW.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_keyword_in` AFTER INSERT ON `photo_keywords` BEGIN
	UPDATE `photo_search` SET `keywords` = coalesce((SELECT group_concat(`keywords`.`name`, ' ') FROM `photo_keywords` JOIN `keywords` ON `keywords`.`id` = `photo_keywords`.`keyword_id` WHERE `photo_keywords`.`photo_id` = NEW.`photo_id`), '')
	WHERE `rowid` = NEW.`photo_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_search_keyword_out` AFTER DELETE ON `photo_keywords` BEGIN
	UPDATE `photo_search` SET `keywords` = coalesce((SELECT group_concat(`keywords`.`name`, ' ') FROM `photo_keywords` JOIN `keywords` ON `keywords`.`id` = `photo_keywords`.`keyword_id` WHERE `photo_keywords`.`photo_id` = OLD.`photo_id`), '')
	WHERE `rowid` = OLD.`photo_id`;
	-- A keyword no photo has any more goes.
	DELETE FROM `keywords` WHERE `id` = OLD.`keyword_id`
		AND NOT EXISTS (SELECT 1 FROM `photo_keywords` WHERE `keyword_id` = OLD.`keyword_id`);
END;
