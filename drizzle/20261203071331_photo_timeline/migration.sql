CREATE TABLE `photo_timeline` (
	`audience` text NOT NULL,
	`size` text NOT NULL,
	`start` integer NOT NULL,
	`photos` integer NOT NULL,
	CONSTRAINT `photo_timeline_pk` PRIMARY KEY(`audience`, `size`, `start`)
);
--> statement-breakpoint
-- Photos per UTC day, month and year of capture, for each audience (all: the admin's; public:
-- in a public album), filled from the rows as they are, then kept in the same statement as every
-- change to a photo's capture time or visibility, whoever makes it (the server, `lightbox
-- import`, a worker, a restore). A bucket's start is strftime's 'start of day|month|year' of
-- taken_at, in ms; a capture time strftime cannot place (past the year 9999) is counted in no
-- bucket, so it is one of the undated.
INSERT INTO `photo_timeline` (`audience`, `size`, `start`, `photos`)
SELECT `audience`, `size`, `start`, count(*) FROM (
  SELECT CASE WHEN `audience`.`public` THEN 'public' ELSE 'all' END AS `audience`, `size`.`name` AS `size`,
         CAST(strftime('%s', `photos`.`taken_at` / 1000.0, 'unixepoch', `size`.`modifier`) AS INTEGER) * 1000 AS `start`
    FROM `photos`, (SELECT 0 AS `public` UNION ALL SELECT 1) AS `audience`, (SELECT 'DAY' AS `name`, 'start of day' AS `modifier` UNION ALL SELECT 'MONTH', 'start of month' UNION ALL SELECT 'YEAR', 'start of year') AS `size`
   WHERE `photos`.`taken_at` IS NOT NULL AND (`audience`.`public` = 0 OR `photos`.`in_public_album` = 1))
 WHERE `start` IS NOT NULL GROUP BY `audience`, `size`, `start`;--> statement-breakpoint
CREATE TRIGGER `photos_dated_in` AFTER INSERT ON `photos` WHEN NEW.`taken_at` IS NOT NULL BEGIN
  INSERT INTO `photo_timeline` (`audience`, `size`, `start`, `photos`)
  SELECT `audience`, `size`, `start`, `delta` FROM (
    SELECT `audience`.`name` AS `audience`, `size`.`name` AS `size`, CAST(strftime('%s', NEW.`taken_at` / 1000.0, 'unixepoch', `size`.`modifier`) AS INTEGER) * 1000 AS `start`, 1 AS `delta`
      FROM (SELECT 'all' AS `name` UNION ALL SELECT 'public' WHERE NEW.`in_public_album` = 1) AS `audience`,
           (SELECT 'DAY' AS `name`, 'start of day' AS `modifier` UNION ALL SELECT 'MONTH', 'start of month' UNION ALL SELECT 'YEAR', 'start of year') AS `size`
     WHERE NEW.`taken_at` IS NOT NULL)
   WHERE `start` IS NOT NULL
  ON CONFLICT (`audience`, `size`, `start`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_dated_out` AFTER DELETE ON `photos` WHEN OLD.`taken_at` IS NOT NULL BEGIN
  INSERT INTO `photo_timeline` (`audience`, `size`, `start`, `photos`)
  SELECT `audience`, `size`, `start`, `delta` FROM (
    SELECT `audience`.`name` AS `audience`, `size`.`name` AS `size`, CAST(strftime('%s', OLD.`taken_at` / 1000.0, 'unixepoch', `size`.`modifier`) AS INTEGER) * 1000 AS `start`, -1 AS `delta`
      FROM (SELECT 'all' AS `name` UNION ALL SELECT 'public' WHERE OLD.`in_public_album` = 1) AS `audience`,
           (SELECT 'DAY' AS `name`, 'start of day' AS `modifier` UNION ALL SELECT 'MONTH', 'start of month' UNION ALL SELECT 'YEAR', 'start of year') AS `size`
     WHERE OLD.`taken_at` IS NOT NULL)
   WHERE `start` IS NOT NULL
  ON CONFLICT (`audience`, `size`, `start`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_dated_again` AFTER UPDATE OF `taken_at`, `in_public_album` ON `photos`
 WHEN OLD.`taken_at` IS NOT NEW.`taken_at` OR OLD.`in_public_album` IS NOT NEW.`in_public_album` BEGIN
  INSERT INTO `photo_timeline` (`audience`, `size`, `start`, `photos`)
  SELECT `audience`, `size`, `start`, sum(`delta`) FROM (
    SELECT `audience`.`name` AS `audience`, `size`.`name` AS `size`, CAST(strftime('%s', OLD.`taken_at` / 1000.0, 'unixepoch', `size`.`modifier`) AS INTEGER) * 1000 AS `start`, -1 AS `delta`
      FROM (SELECT 'all' AS `name` UNION ALL SELECT 'public' WHERE OLD.`in_public_album` = 1) AS `audience`,
           (SELECT 'DAY' AS `name`, 'start of day' AS `modifier` UNION ALL SELECT 'MONTH', 'start of month' UNION ALL SELECT 'YEAR', 'start of year') AS `size`
     WHERE OLD.`taken_at` IS NOT NULL
    UNION ALL
    SELECT `audience`.`name` AS `audience`, `size`.`name` AS `size`, CAST(strftime('%s', NEW.`taken_at` / 1000.0, 'unixepoch', `size`.`modifier`) AS INTEGER) * 1000 AS `start`, 1 AS `delta`
      FROM (SELECT 'all' AS `name` UNION ALL SELECT 'public' WHERE NEW.`in_public_album` = 1) AS `audience`,
           (SELECT 'DAY' AS `name`, 'start of day' AS `modifier` UNION ALL SELECT 'MONTH', 'start of month' UNION ALL SELECT 'YEAR', 'start of year') AS `size`
     WHERE NEW.`taken_at` IS NOT NULL)
   WHERE `start` IS NOT NULL
   GROUP BY `audience`, `size`, `start` HAVING sum(`delta`) <> 0
  ON CONFLICT (`audience`, `size`, `start`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;
