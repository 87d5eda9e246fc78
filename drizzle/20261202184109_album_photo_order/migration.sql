ALTER TABLE `albums` ADD `photo_order` text DEFAULT 'TAKEN_AT' NOT NULL;--> statement-breakpoint
ALTER TABLE `albums` ADD `latest_taken_sort` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `albums_latest_taken_idx` ON `albums` (`latest_taken_sort`,`id`);--> statement-breakpoint
CREATE INDEX `albums_visibility_latest_taken_idx` ON `albums` (`visibility`,`latest_taken_sort`,`id`);--> statement-breakpoint
-- An album's newest capture time (its photos' photo_taken_sort, or when it was made while it is
-- empty), filled from the rows as they are and then kept by triggers in the same statement as
-- every change to an album's photos or to a photo's capture time, whoever makes it. max() over
-- album_photos_taken_sort_idx is one index seek, so no trigger costs the album's size.
UPDATE `albums` SET `latest_taken_sort` = coalesce(
  (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_photos`.`album_id` = `albums`.`id`), `created_at`);--> statement-breakpoint
-- Albums made before this keep their order when the owner arranged them (any photo out of the
-- order it was added in); the others, in the order their files were imported, go by capture
-- time. Positions stay either way: photoOrder MANUAL brings them back.
UPDATE `albums` SET `photo_order` = 'MANUAL' WHERE `id` IN (
  SELECT `album_id` FROM (
    SELECT `album_id`,
           row_number() OVER (PARTITION BY `album_id` ORDER BY `position`, `photo_id`) AS `by_position`,
           row_number() OVER (PARTITION BY `album_id` ORDER BY `added_at`, `rowid`) AS `by_addition`
      FROM `album_photos`)
   WHERE `by_position` <> `by_addition`);--> statement-breakpoint
CREATE TRIGGER `albums_latest_taken_made` AFTER INSERT ON `albums` BEGIN
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = NEW.`id`), NEW.`created_at`) WHERE `id` = NEW.`id`;
END;--> statement-breakpoint
CREATE TRIGGER `albums_latest_taken_redated` AFTER UPDATE OF `created_at` ON `albums` BEGIN
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = NEW.`id`), NEW.`created_at`) WHERE `id` = NEW.`id`;
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_latest_taken_joined` AFTER INSERT ON `album_photos` BEGIN
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = NEW.`album_id`), `created_at`) WHERE `id` = NEW.`album_id`;
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_latest_taken_left` AFTER DELETE ON `album_photos` BEGIN
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = OLD.`album_id`), `created_at`) WHERE `id` = OLD.`album_id`;
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_latest_taken_moved` AFTER UPDATE OF `album_id`, `photo_taken_sort` ON `album_photos` BEGIN
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = `albums`.`id`), `created_at`)
   WHERE `id` IN (OLD.`album_id`, NEW.`album_id`);
END;
