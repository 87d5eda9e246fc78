CREATE TABLE `photo_tallies` (
	`audience` text NOT NULL,
	`facet` text NOT NULL,
	`value` text NOT NULL,
	`photos` integer NOT NULL,
	CONSTRAINT `photo_tallies_pk` PRIMARY KEY(`audience`, `facet`, `value`)
);
--> statement-breakpoint
ALTER TABLE `album_photos` ADD `photo_created_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `album_photos` ADD `photo_taken_sort` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `album_photos` ADD `photo_title` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `albums` ADD `photo_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `photos` ADD `in_public_album` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
DROP INDEX IF EXISTS `albums_visibility_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `photos_taken_at_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `photos_status_idx`;--> statement-breakpoint
DROP INDEX IF EXISTS `photos_camera_make_idx`;--> statement-breakpoint
CREATE INDEX `album_photos_created_at_idx` ON `album_photos` (`album_id`,`photo_created_at`,`photo_id`);--> statement-breakpoint
CREATE INDEX `album_photos_taken_sort_idx` ON `album_photos` (`album_id`,`photo_taken_sort`,`photo_id`);--> statement-breakpoint
CREATE INDEX `album_photos_title_idx` ON `album_photos` (`album_id`,`photo_title`,`photo_id`);--> statement-breakpoint
CREATE INDEX `albums_updated_at_idx` ON `albums` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `albums_visibility_created_at_idx` ON `albums` (`visibility`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `albums_visibility_updated_at_idx` ON `albums` (`visibility`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `albums_visibility_title_idx` ON `albums` (`visibility`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `photos_taken_sort_idx` ON `photos` (coalesce("taken_at", "created_at"),`id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `photos_status_created_at_idx` ON `photos` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_status_taken_sort_idx` ON `photos` (`status`,coalesce("taken_at", "created_at"),`id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `photos_status_title_idx` ON `photos` (`status`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `photos_camera_make_created_at_idx` ON `photos` (`camera_make`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_camera_make_taken_sort_idx` ON `photos` (`camera_make`,coalesce("taken_at", "created_at"),`id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `photos_camera_make_title_idx` ON `photos` (`camera_make`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `photos_public_created_at_idx` ON `photos` (`in_public_album`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_public_taken_sort_idx` ON `photos` (`in_public_album`,coalesce("taken_at", "created_at"),`id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `photos_public_title_idx` ON `photos` (`in_public_album`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `photos_public_status_created_at_idx` ON `photos` (`in_public_album`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_public_status_taken_sort_idx` ON `photos` (`in_public_album`,`status`,coalesce("taken_at", "created_at"),`id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `photos_public_status_title_idx` ON `photos` (`in_public_album`,`status`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `photos_public_camera_make_created_at_idx` ON `photos` (`in_public_album`,`camera_make`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `photos_public_camera_make_taken_sort_idx` ON `photos` (`in_public_album`,`camera_make`,coalesce("taken_at", "created_at"),`id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `photos_public_camera_make_title_idx` ON `photos` (`in_public_album`,`camera_make`,`title`,`id`);--> statement-breakpoint
DROP INDEX IF EXISTS `albums_title_idx`;--> statement-breakpoint
CREATE INDEX `albums_title_idx` ON `albums` (`title`,`id`);--> statement-breakpoint
-- Who may see a photo, how many photos there are, and each member's sort keys, as data. What
-- follows fills photos.in_public_album, albums.photo_count, album_photos' photo_* columns and
-- photo_tallies from the rows as they are (CROSS JOIN keeps each lookup going from the photo's
-- memberships to their albums, never from every public album to the photo), then
-- installs the triggers that keep them in the same statement as every later change, whoever
-- makes it (the server, `lightbox import`, a worker, a restore). No code writes these columns.
UPDATE `photos` SET `in_public_album` = EXISTS (
  SELECT 1 FROM `album_photos` CROSS JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id`
   WHERE `album_photos`.`photo_id` = `photos`.`id` AND `albums`.`visibility` = 'PUBLIC');--> statement-breakpoint
UPDATE `albums` SET `photo_count` = (SELECT count(*) FROM `album_photos` WHERE `album_photos`.`album_id` = `albums`.`id`);--> statement-breakpoint
UPDATE `album_photos` SET (`photo_created_at`, `photo_taken_sort`, `photo_title`) =
  (SELECT `created_at`, coalesce(`taken_at`, `created_at`), `title` FROM `photos` WHERE `photos`.`id` = `album_photos`.`photo_id`);--> statement-breakpoint
INSERT INTO `photo_tallies` (`audience`, `facet`, `value`, `photos`)
SELECT 'all', '', '', count(*) FROM `photos`
UNION ALL SELECT 'all', 'status', `status`, count(*) FROM `photos` GROUP BY `status`
UNION ALL SELECT 'all', 'make', `camera_make`, count(*) FROM `photos` WHERE `camera_make` IS NOT NULL GROUP BY `camera_make`
UNION ALL SELECT 'public', '', '', count(*) FROM `photos` WHERE `in_public_album` = 1
UNION ALL SELECT 'public', 'status', `status`, count(*) FROM `photos` WHERE `in_public_album` = 1 GROUP BY `status`
UNION ALL SELECT 'public', 'make', `camera_make`, count(*) FROM `photos` WHERE `in_public_album` = 1 AND `camera_make` IS NOT NULL GROUP BY `camera_make`;--> statement-breakpoint
CREATE TRIGGER `album_photos_joined` AFTER INSERT ON `album_photos` BEGIN
  UPDATE `album_photos` SET `photo_created_at` = `photos`.`created_at`,
         `photo_taken_sort` = coalesce(`photos`.`taken_at`, `photos`.`created_at`), `photo_title` = `photos`.`title`
    FROM `photos` WHERE `album_photos`.`rowid` = NEW.`rowid` AND `photos`.`id` = NEW.`photo_id`;
  UPDATE `albums` SET `photo_count` = `photo_count` + 1 WHERE `id` = NEW.`album_id`;
  UPDATE `photos` SET `in_public_album` = 1
   WHERE `id` = NEW.`photo_id` AND `in_public_album` = 0
     AND (SELECT `visibility` FROM `albums` WHERE `id` = NEW.`album_id`) = 'PUBLIC';
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_left` AFTER DELETE ON `album_photos` BEGIN
  UPDATE `albums` SET `photo_count` = `photo_count` - 1 WHERE `id` = OLD.`album_id`;
  UPDATE `photos` SET `in_public_album` = 0
   WHERE `id` = OLD.`photo_id` AND `in_public_album` = 1
     AND NOT EXISTS (SELECT 1 FROM `album_photos` CROSS JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id`
                      WHERE `album_photos`.`photo_id` = OLD.`photo_id` AND `albums`.`visibility` = 'PUBLIC');
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_moved` AFTER UPDATE OF `album_id`, `photo_id` ON `album_photos` BEGIN
  UPDATE `album_photos` SET `photo_created_at` = `photos`.`created_at`,
         `photo_taken_sort` = coalesce(`photos`.`taken_at`, `photos`.`created_at`), `photo_title` = `photos`.`title`
    FROM `photos` WHERE `album_photos`.`rowid` = NEW.`rowid` AND `photos`.`id` = NEW.`photo_id`;
  UPDATE `albums` SET `photo_count` = `photo_count` - 1 WHERE `id` = OLD.`album_id`;
  UPDATE `albums` SET `photo_count` = `photo_count` + 1 WHERE `id` = NEW.`album_id`;
  UPDATE `photos` SET `in_public_album` = EXISTS (
    SELECT 1 FROM `album_photos` CROSS JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id`
     WHERE `album_photos`.`photo_id` = `photos`.`id` AND `albums`.`visibility` = 'PUBLIC')
   WHERE `id` IN (OLD.`photo_id`, NEW.`photo_id`);
END;--> statement-breakpoint
CREATE TRIGGER `albums_visibility_changed` AFTER UPDATE OF `visibility` ON `albums` WHEN OLD.`visibility` IS NOT NEW.`visibility` BEGIN
  UPDATE `photos` SET `in_public_album` = EXISTS (
    SELECT 1 FROM `album_photos` CROSS JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id`
     WHERE `album_photos`.`photo_id` = `photos`.`id` AND `albums`.`visibility` = 'PUBLIC')
   WHERE `id` IN (SELECT `photo_id` FROM `album_photos` WHERE `album_id` = NEW.`id`);
END;--> statement-breakpoint
CREATE TRIGGER `photos_tallied_in` AFTER INSERT ON `photos` BEGIN
  INSERT INTO `photo_tallies` (`audience`, `facet`, `value`, `photos`)
  SELECT 'all', '', '', 1
  UNION ALL SELECT 'all', 'status', NEW.`status`, 1
  UNION ALL SELECT 'all', 'make', NEW.`camera_make`, 1 WHERE NEW.`camera_make` IS NOT NULL
  UNION ALL SELECT 'public', '', '', 1 WHERE NEW.`in_public_album` = 1
  UNION ALL SELECT 'public', 'status', NEW.`status`, 1 WHERE NEW.`in_public_album` = 1
  UNION ALL SELECT 'public', 'make', NEW.`camera_make`, 1 WHERE NEW.`in_public_album` = 1 AND NEW.`camera_make` IS NOT NULL
  ON CONFLICT (`audience`, `facet`, `value`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_tallied_out` AFTER DELETE ON `photos` BEGIN
  INSERT INTO `photo_tallies` (`audience`, `facet`, `value`, `photos`)
  SELECT 'all', '', '', -1
  UNION ALL SELECT 'all', 'status', OLD.`status`, -1
  UNION ALL SELECT 'all', 'make', OLD.`camera_make`, -1 WHERE OLD.`camera_make` IS NOT NULL
  UNION ALL SELECT 'public', '', '', -1 WHERE OLD.`in_public_album` = 1
  UNION ALL SELECT 'public', 'status', OLD.`status`, -1 WHERE OLD.`in_public_album` = 1
  UNION ALL SELECT 'public', 'make', OLD.`camera_make`, -1 WHERE OLD.`in_public_album` = 1 AND OLD.`camera_make` IS NOT NULL
  ON CONFLICT (`audience`, `facet`, `value`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_tallied_again` AFTER UPDATE OF `status`, `camera_make`, `in_public_album` ON `photos` BEGIN
  INSERT INTO `photo_tallies` (`audience`, `facet`, `value`, `photos`)
  SELECT `audience`, `facet`, `value`, sum(`delta`) FROM (
    SELECT 'all' AS `audience`, 'status' AS `facet`, OLD.`status` AS `value`, -1 AS `delta`
    UNION ALL SELECT 'all', 'make', OLD.`camera_make`, -1 WHERE OLD.`camera_make` IS NOT NULL
    UNION ALL SELECT 'public', '', '', -1 WHERE OLD.`in_public_album` = 1
    UNION ALL SELECT 'public', 'status', OLD.`status`, -1 WHERE OLD.`in_public_album` = 1
    UNION ALL SELECT 'public', 'make', OLD.`camera_make`, -1 WHERE OLD.`in_public_album` = 1 AND OLD.`camera_make` IS NOT NULL
    UNION ALL SELECT 'all', 'status', NEW.`status`, 1
    UNION ALL SELECT 'all', 'make', NEW.`camera_make`, 1 WHERE NEW.`camera_make` IS NOT NULL
    UNION ALL SELECT 'public', '', '', 1 WHERE NEW.`in_public_album` = 1
    UNION ALL SELECT 'public', 'status', NEW.`status`, 1 WHERE NEW.`in_public_album` = 1
    UNION ALL SELECT 'public', 'make', NEW.`camera_make`, 1 WHERE NEW.`in_public_album` = 1 AND NEW.`camera_make` IS NOT NULL)
  GROUP BY `audience`, `facet`, `value` HAVING sum(`delta`) <> 0
  ON CONFLICT (`audience`, `facet`, `value`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_sorted_again` AFTER UPDATE OF `created_at`, `taken_at`, `title` ON `photos` BEGIN
  UPDATE `album_photos` SET `photo_created_at` = NEW.`created_at`, `photo_taken_sort` = coalesce(NEW.`taken_at`, NEW.`created_at`),
         `photo_title` = NEW.`title`
   WHERE `photo_id` = NEW.`id`;
END;
