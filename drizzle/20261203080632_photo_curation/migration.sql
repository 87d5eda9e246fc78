ALTER TABLE `photos` ADD `favorite` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `photos` ADD `rating` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `photos_favorite_created_at_idx` ON `photos` (`created_at`,`id`) WHERE "favorite" = 1;--> statement-breakpoint
CREATE INDEX `photos_rated_created_at_idx` ON `photos` (`rating`,`created_at`,`id`) WHERE "rating" > 0;--> statement-breakpoint
CREATE INDEX `photos_favorite_taken_sort_idx` ON `photos` (coalesce("taken_at", "created_at"),`id`) WHERE "favorite" = 1;--> statement-breakpoint
CREATE INDEX `photos_rated_taken_sort_idx` ON `photos` (`rating`,coalesce("taken_at", "created_at"),`id`) WHERE "rating" > 0;--> statement-breakpoint
CREATE INDEX `photos_favorite_title_idx` ON `photos` (`title`,`id`) WHERE "favorite" = 1;--> statement-breakpoint
CREATE INDEX `photos_rated_title_idx` ON `photos` (`rating`,`title`,`id`) WHERE "rating" > 0;