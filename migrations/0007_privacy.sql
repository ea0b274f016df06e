CREATE TABLE `access_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`reader` text NOT NULL,
	`method` text NOT NULL,
	`route` text NOT NULL,
	`request_id` text NOT NULL,
	`contact_ids` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `access_log_at_idx` ON `access_log` (`at`);--> statement-breakpoint
ALTER TABLE `revisions` ADD `reason` text;--> statement-breakpoint
-- hand-written
-- The access log is append-only: no update ever, and no delete of an entry younger than a day
-- (ACCESS_LOG_RETENTION_DAYS is at least 1), so only its retention removes entries.
CREATE TRIGGER `access_log_no_update` BEFORE UPDATE ON `access_log`
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `access_log_no_early_delete` BEFORE DELETE ON `access_log`
WHEN old.at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')
BEGIN SELECT RAISE(ABORT, 'access log entries are removed only by retention'); END;
