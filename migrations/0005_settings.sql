CREATE TABLE `settings` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
-- Cursors are signed with this key (lib/pagination.ts): one the service did not issue is refused.
INSERT INTO `settings` (`name`, `value`) VALUES ('cursor-key', lower(hex(randomblob(32))));
