DROP INDEX IF EXISTS `album_photos_position_idx`;--> statement-breakpoint
CREATE INDEX `album_photos_order_idx` ON `album_photos` (`album_id`,`position`,`photo_id`);