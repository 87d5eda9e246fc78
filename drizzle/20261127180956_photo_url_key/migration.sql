ALTER TABLE `photos` ADD `url_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Every photo that exists gets its key now; new ones get theirs at import.
UPDATE `photos` SET `url_key` = lower(hex(randomblob(6)));
