CREATE TABLE `changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT,
	`subject` text NOT NULL,
	`row_id` integer NOT NULL,
	`public_id` text NOT NULL,
	`kind` text NOT NULL,
	`album_id` integer,
	`was_public` integer NOT NULL
);
--> statement-breakpoint
CREATE TRIGGER `photos_added_to_feed` AFTER INSERT ON `photos` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `was_public`) VALUES ('photo', NEW.`id`, NEW.`public_id`, 'added', 0);
END;--> statement-breakpoint
CREATE TRIGGER `photos_changed_to_feed` AFTER UPDATE ON `photos` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `was_public`) VALUES ('photo', NEW.`id`, NEW.`public_id`, 'changed', OLD.`in_public_album`);
END;--> statement-breakpoint
CREATE TRIGGER `photos_removed_to_feed` AFTER DELETE ON `photos` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `was_public`) VALUES ('photo', OLD.`id`, OLD.`public_id`, 'removed', OLD.`in_public_album`);
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_joined_to_feed` AFTER INSERT ON `album_photos` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `album_id`, `was_public`)
  SELECT 'photo', `id`, `public_id`, 'joined', NEW.`album_id`, `in_public_album` FROM `photos` WHERE `id` = NEW.`photo_id`;
END;--> statement-breakpoint
CREATE TRIGGER `album_photos_left_to_feed` AFTER DELETE ON `album_photos` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `album_id`, `was_public`)
  VALUES ('photo', OLD.`photo_id`, coalesce((SELECT `public_id` FROM `photos` WHERE `id` = OLD.`photo_id`), ''), 'left', OLD.`album_id`, 0);
END;--> statement-breakpoint
CREATE TRIGGER `albums_added_to_feed` AFTER INSERT ON `albums` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `was_public`) VALUES ('album', NEW.`id`, NEW.`public_id`, 'added', 0);
END;--> statement-breakpoint
CREATE TRIGGER `albums_changed_to_feed` AFTER UPDATE ON `albums` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `was_public`) VALUES ('album', NEW.`id`, NEW.`public_id`, 'changed', OLD.`visibility` = 'PUBLIC');
END;--> statement-breakpoint
CREATE TRIGGER `albums_removed_to_feed` AFTER DELETE ON `albums` BEGIN
  INSERT INTO `changes` (`subject`, `row_id`, `public_id`, `kind`, `was_public`) VALUES ('album', OLD.`id`, OLD.`public_id`, 'removed', OLD.`visibility` = 'PUBLIC');
END;
