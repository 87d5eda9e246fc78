ALTER TABLE `albums` ADD `photo_order` text DEFAULT 'TAKEN_AT' NOT NULL;--> statement-breakpoint
ALTER TABLE `albums` ADD `latest_taken_sort` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `albums_latest_taken_idx` ON `albums` (`latest_taken_sort`,`id`);--> statement-breakpoint
CREATE INDEX `albums_visibility_latest_taken_idx` ON `albums` (`visibility`,`latest_taken_sort`,`id`);--> statement-breakpoint
-- An album's newest capture time (the largest photo_taken_sort of its photos; 0 while it is
-- empty, so empty albums come last), filled from the rows as they are and then kept in the same
-- statement as every change to an album's photos or to a photo's capture time, whoever makes it.
-- It is folded into the triggers that already write the album's row for each change (its
-- photo_count), rather than triggers of its own: a second UPDATE of the row would tell the change
-- feed of every new album and membership twice. A removal takes one max() seek on
-- album_photos_taken_sort_idx, so no trigger costs the album's size.
UPDATE `albums` SET `latest_taken_sort` = coalesce(
  (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_photos`.`album_id` = `albums`.`id`), 0);--> statement-breakpoint
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
DROP TRIGGER `album_photos_joined`;--> statement-breakpoint
CREATE TRIGGER `album_photos_joined` AFTER INSERT ON `album_photos` BEGIN
  UPDATE `album_photos` SET `photo_created_at` = `photos`.`created_at`,
         `photo_taken_sort` = coalesce(`photos`.`taken_at`, `photos`.`created_at`), `photo_title` = `photos`.`title`
    FROM `photos` WHERE `album_photos`.`rowid` = NEW.`rowid` AND `photos`.`id` = NEW.`photo_id`;
  UPDATE `albums` SET `photo_count` = `photo_count` + 1,
         `latest_taken_sort` = max(`latest_taken_sort`, (SELECT `photo_taken_sort` FROM `album_photos` WHERE `rowid` = NEW.`rowid`))
   WHERE `id` = NEW.`album_id`;
  UPDATE `photos` SET `in_public_album` = 1
   WHERE `id` = NEW.`photo_id` AND `in_public_album` = 0
     AND (SELECT `visibility` FROM `albums` WHERE `id` = NEW.`album_id`) = 'PUBLIC';
END;--> statement-breakpoint
DROP TRIGGER `album_photos_left`;--> statement-breakpoint
CREATE TRIGGER `album_photos_left` AFTER DELETE ON `album_photos` BEGIN
  UPDATE `albums` SET `photo_count` = `photo_count` - 1,
         `latest_taken_sort` = coalesce((SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = OLD.`album_id`), 0)
   WHERE `id` = OLD.`album_id`;
  UPDATE `photos` SET `in_public_album` = 0
   WHERE `id` = OLD.`photo_id` AND `in_public_album` = 1
     AND NOT EXISTS (SELECT 1 FROM `album_photos` CROSS JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id`
                      WHERE `album_photos`.`photo_id` = OLD.`photo_id` AND `albums`.`visibility` = 'PUBLIC');
END;--> statement-breakpoint
DROP TRIGGER `album_photos_moved`;--> statement-breakpoint
CREATE TRIGGER `album_photos_moved` AFTER UPDATE OF `album_id`, `photo_id` ON `album_photos` BEGIN
  UPDATE `album_photos` SET `photo_created_at` = `photos`.`created_at`,
         `photo_taken_sort` = coalesce(`photos`.`taken_at`, `photos`.`created_at`), `photo_title` = `photos`.`title`
    FROM `photos` WHERE `album_photos`.`rowid` = NEW.`rowid` AND `photos`.`id` = NEW.`photo_id`;
  UPDATE `albums` SET `photo_count` = `photo_count` - 1 WHERE `id` = OLD.`album_id`;
  UPDATE `albums` SET `photo_count` = `photo_count` + 1 WHERE `id` = NEW.`album_id`;
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = `albums`.`id`), 0)
   WHERE `id` IN (OLD.`album_id`, NEW.`album_id`);
  UPDATE `photos` SET `in_public_album` = EXISTS (
    SELECT 1 FROM `album_photos` CROSS JOIN `albums` ON `albums`.`id` = `album_photos`.`album_id`
     WHERE `album_photos`.`photo_id` = `photos`.`id` AND `albums`.`visibility` = 'PUBLIC')
   WHERE `id` IN (OLD.`photo_id`, NEW.`photo_id`);
END;--> statement-breakpoint
DROP TRIGGER `photos_sorted_again`;--> statement-breakpoint
CREATE TRIGGER `photos_sorted_again` AFTER UPDATE OF `created_at`, `taken_at`, `title` ON `photos` BEGIN
  UPDATE `album_photos` SET `photo_created_at` = NEW.`created_at`, `photo_taken_sort` = coalesce(NEW.`taken_at`, NEW.`created_at`),
         `photo_title` = NEW.`title`
   WHERE `photo_id` = NEW.`id`;
  -- Only a new capture-time key moves its albums (a retitled photo does not touch them).
  UPDATE `albums` SET `latest_taken_sort` = coalesce(
    (SELECT max(`photo_taken_sort`) FROM `album_photos` WHERE `album_id` = `albums`.`id`), 0)
   WHERE coalesce(OLD.`taken_at`, OLD.`created_at`) IS NOT coalesce(NEW.`taken_at`, NEW.`created_at`)
     AND `id` IN (SELECT `album_id` FROM `album_photos` WHERE `photo_id` = NEW.`id`);
END;
