CREATE TABLE `photo_days` (
	`audience` text NOT NULL,
	`day` integer NOT NULL,
	`photos` integer NOT NULL,
	CONSTRAINT `photo_days_pk` PRIMARY KEY(`audience`, `day`)
);
--> statement-breakpoint
-- Photos per UTC day of capture, for each audience (all: the admin's; public: in a public album),
-- filled from the rows as they are, then kept in the same statement as every change to a
-- photo's capture time or visibility, whoever makes it (the server, `lightbox import`, a worker,
-- a restore). A day is taken_at floored to 86 400 000 ms (a photo from before 1970 too).
INSERT INTO `photo_days` (`audience`, `day`, `photos`)
SELECT 'all', (`taken_at` - ((`taken_at` % 86400000) + 86400000) % 86400000) / 86400000 AS `day`, count(*)
  FROM `photos` WHERE `taken_at` IS NOT NULL GROUP BY `day`
UNION ALL
SELECT 'public', (`taken_at` - ((`taken_at` % 86400000) + 86400000) % 86400000) / 86400000 AS `day`, count(*)
  FROM `photos` WHERE `taken_at` IS NOT NULL AND `in_public_album` = 1 GROUP BY `day`;--> statement-breakpoint
CREATE TRIGGER `photos_dated_in` AFTER INSERT ON `photos` WHEN NEW.`taken_at` IS NOT NULL BEGIN
  INSERT INTO `photo_days` (`audience`, `day`, `photos`)
  SELECT 'all', (NEW.`taken_at` - ((NEW.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, 1
  UNION ALL SELECT 'public', (NEW.`taken_at` - ((NEW.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, 1
   WHERE NEW.`in_public_album` = 1
  ON CONFLICT (`audience`, `day`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_dated_out` AFTER DELETE ON `photos` WHEN OLD.`taken_at` IS NOT NULL BEGIN
  INSERT INTO `photo_days` (`audience`, `day`, `photos`)
  SELECT 'all', (OLD.`taken_at` - ((OLD.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, -1
  UNION ALL SELECT 'public', (OLD.`taken_at` - ((OLD.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, -1
   WHERE OLD.`in_public_album` = 1
  ON CONFLICT (`audience`, `day`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;--> statement-breakpoint
CREATE TRIGGER `photos_dated_again` AFTER UPDATE OF `taken_at`, `in_public_album` ON `photos`
 WHEN OLD.`taken_at` IS NOT NEW.`taken_at` OR OLD.`in_public_album` IS NOT NEW.`in_public_album` BEGIN
  INSERT INTO `photo_days` (`audience`, `day`, `photos`)
  SELECT `audience`, `day`, sum(`delta`) FROM (
    SELECT 'all' AS `audience`, (OLD.`taken_at` - ((OLD.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000 AS `day`, -1 AS `delta`
     WHERE OLD.`taken_at` IS NOT NULL
    UNION ALL SELECT 'public', (OLD.`taken_at` - ((OLD.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, -1
     WHERE OLD.`taken_at` IS NOT NULL AND OLD.`in_public_album` = 1
    UNION ALL SELECT 'all', (NEW.`taken_at` - ((NEW.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, 1
     WHERE NEW.`taken_at` IS NOT NULL
    UNION ALL SELECT 'public', (NEW.`taken_at` - ((NEW.`taken_at` % 86400000) + 86400000) % 86400000) / 86400000, 1
     WHERE NEW.`taken_at` IS NOT NULL AND NEW.`in_public_album` = 1)
  GROUP BY `audience`, `day` HAVING sum(`delta`) <> 0
  ON CONFLICT (`audience`, `day`) DO UPDATE SET `photos` = `photos` + excluded.`photos`;
END;
