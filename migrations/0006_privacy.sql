CREATE TABLE `access_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`reader` text NOT NULL,
	`method` text NOT NULL,
	`route` text NOT NULL,
	`request_id` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `access_log_at_idx` ON `access_log` (`at`);--> statement-breakpoint
CREATE INDEX `access_log_reader_idx` ON `access_log` (`reader`,`id`);--> statement-breakpoint
CREATE TABLE `access_log_contacts` (
	`entry_id` integer NOT NULL,
	`contact_id` text NOT NULL,
	FOREIGN KEY (`entry_id`) REFERENCES `access_log`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `access_log_contacts_contact_idx` ON `access_log_contacts` (`contact_id`,`entry_id`);--> statement-breakpoint
CREATE INDEX `access_log_contacts_entry_idx` ON `access_log_contacts` (`entry_id`);--> statement-breakpoint
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
--> statement-breakpoint
CREATE TRIGGER `access_log_contacts_no_update` BEFORE UPDATE ON `access_log_contacts`
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `access_log_contacts_no_delete` BEFORE DELETE ON `access_log_contacts`
WHEN EXISTS (SELECT 1 FROM `access_log` WHERE `id` = old.entry_id)
BEGIN SELECT RAISE(ABORT, 'access log entries are removed only by retention'); END;
