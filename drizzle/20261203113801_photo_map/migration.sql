CREATE TABLE `photo_cells` (
	`level` integer NOT NULL,
	`cell` integer NOT NULL,
	`photos` integer NOT NULL,
	`latitude_sum` real NOT NULL,
	`longitude_sum` real NOT NULL,
	CONSTRAINT `photo_cells_pk` PRIMARY KEY(`level`, `cell`)
);
--> statement-breakpoint
ALTER TABLE `photos` ADD `geo_cell` integer;--> statement-breakpoint
CREATE INDEX `photos_geo_cell_idx` ON `photos` (`geo_cell`) WHERE "geo_cell" IS NOT NULL;--> statement-breakpoint
-- The map's cells (places/geo-cells.ts): a photo's geo_cell is its position's Z-order code on
-- the finest grid (level 12: cells 180/4096 degrees wide), written with the position (here once
-- for the photos already geotagged, as places/geo-cells.ts geoCellOf does); photo_cells counts the photos of each
-- cell at levels 0, 2, ... 12 (a coarser cell's code is the finer one's shifted 2 bits a level).
CREATE TABLE `map_levels` (`level` integer PRIMARY KEY);
--> statement-breakpoint
INSERT INTO `map_levels` (`level`) VALUES (0), (2), (4), (6), (8), (10), (12);
--> statement-breakpoint
UPDATE `photos` SET `geo_cell` = (((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 12) << 24) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 0) & 1) << 1) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 0) & 1) << 0) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 1) & 1) << 3) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 1) & 1) << 2) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 2) & 1) << 5) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 2) & 1) << 4) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 3) & 1) << 7) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 3) & 1) << 6) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 4) & 1) << 9) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 4) & 1) << 8) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 5) & 1) << 11) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 5) & 1) << 10) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 6) & 1) << 13) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 6) & 1) << 12) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 7) & 1) << 15) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 7) & 1) << 14) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 8) & 1) << 17) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 8) & 1) << 16) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 9) & 1) << 19) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 9) & 1) << 18) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 10) & 1) << 21) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 10) & 1) << 20) | ((((min(4095, max(0, CAST((90 - `latitude`) / (180.0 / 4096) AS INTEGER)))) >> 11) & 1) << 23) | ((((min(8191, max(0, CAST((`longitude` + 180) / (180.0 / 4096) AS INTEGER)))) >> 11) & 1) << 22) WHERE `latitude` BETWEEN -90 AND 90 AND `longitude` BETWEEN -180 AND 180;
--> statement-breakpoint
INSERT INTO `photo_cells` (`level`, `cell`, `photos`, `latitude_sum`, `longitude_sum`)
	SELECT `map_levels`.`level`, `photos`.`geo_cell` >> (2 * (12 - `map_levels`.`level`)), count(*), sum(`photos`.`latitude`), sum(`photos`.`longitude`)
	FROM `photos` CROSS JOIN `map_levels` WHERE `photos`.`geo_cell` IS NOT NULL GROUP BY 1, 2;
--> statement-breakpoint
CREATE TRIGGER `photo_map_cell_in` AFTER UPDATE OF `geo_cell` ON `photos` WHEN OLD.`geo_cell` IS NULL AND NEW.`geo_cell` IS NOT NULL BEGIN
	INSERT INTO `photo_cells` (`level`, `cell`, `photos`, `latitude_sum`, `longitude_sum`)
		SELECT `level`, NEW.`geo_cell` >> (2 * (12 - `level`)), 1, NEW.`latitude`, NEW.`longitude` FROM `map_levels` WHERE true
		ON CONFLICT (`level`, `cell`) DO UPDATE SET `photos` = `photos` + 1, `latitude_sum` = `latitude_sum` + excluded.`latitude_sum`, `longitude_sum` = `longitude_sum` + excluded.`longitude_sum`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_map_cell_out` AFTER UPDATE OF `geo_cell` ON `photos` WHEN OLD.`geo_cell` IS NOT NULL AND NEW.`geo_cell` IS NULL BEGIN
	UPDATE `photo_cells` SET `photos` = `photos` - 1, `latitude_sum` = `latitude_sum` - OLD.`latitude`, `longitude_sum` = `longitude_sum` - OLD.`longitude`
		WHERE (`level`, `cell`) IN (SELECT `level`, OLD.`geo_cell` >> (2 * (12 - `level`)) FROM `map_levels`);
END;
--> statement-breakpoint
-- Moved (a reprocess read another position): out of the old cells, into the new.
CREATE TRIGGER `photo_map_cell_moved` AFTER UPDATE OF `geo_cell`, `latitude`, `longitude` ON `photos` WHEN OLD.`geo_cell` IS NOT NULL AND NEW.`geo_cell` IS NOT NULL AND (OLD.`geo_cell` IS NOT NEW.`geo_cell` OR OLD.`latitude` IS NOT NEW.`latitude` OR OLD.`longitude` IS NOT NEW.`longitude`) BEGIN
	UPDATE `photo_cells` SET `photos` = `photos` - 1, `latitude_sum` = `latitude_sum` - OLD.`latitude`, `longitude_sum` = `longitude_sum` - OLD.`longitude`
		WHERE (`level`, `cell`) IN (SELECT `level`, OLD.`geo_cell` >> (2 * (12 - `level`)) FROM `map_levels`);
	INSERT INTO `photo_cells` (`level`, `cell`, `photos`, `latitude_sum`, `longitude_sum`)
		SELECT `level`, NEW.`geo_cell` >> (2 * (12 - `level`)), 1, NEW.`latitude`, NEW.`longitude` FROM `map_levels` WHERE true
		ON CONFLICT (`level`, `cell`) DO UPDATE SET `photos` = `photos` + 1, `latitude_sum` = `latitude_sum` + excluded.`latitude_sum`, `longitude_sum` = `longitude_sum` + excluded.`longitude_sum`;
END;
--> statement-breakpoint
CREATE TRIGGER `photo_map_cell_gone` AFTER DELETE ON `photos` WHEN OLD.`geo_cell` IS NOT NULL BEGIN
	UPDATE `photo_cells` SET `photos` = `photos` - 1, `latitude_sum` = `latitude_sum` - OLD.`latitude`, `longitude_sum` = `longitude_sum` - OLD.`longitude`
		WHERE (`level`, `cell`) IN (SELECT `level`, OLD.`geo_cell` >> (2 * (12 - `level`)) FROM `map_levels`);
END;
--> statement-breakpoint
CREATE TRIGGER `photo_map_cell_new` AFTER INSERT ON `photos` WHEN NEW.`geo_cell` IS NOT NULL BEGIN
	INSERT INTO `photo_cells` (`level`, `cell`, `photos`, `latitude_sum`, `longitude_sum`)
		SELECT `level`, NEW.`geo_cell` >> (2 * (12 - `level`)), 1, NEW.`latitude`, NEW.`longitude` FROM `map_levels` WHERE true
		ON CONFLICT (`level`, `cell`) DO UPDATE SET `photos` = `photos` + 1, `latitude_sum` = `latitude_sum` + excluded.`latitude_sum`, `longitude_sum` = `longitude_sum` + excluded.`longitude_sum`;
END;
