DROP INDEX `assignments_contact_idx`;--> statement-breakpoint
CREATE INDEX `assignments_state_id_idx` ON `assignments` (`state_code`,`id`);--> statement-breakpoint
CREATE INDEX `assignments_org_id_idx` ON `assignments` (`organization_id`,`id`);--> statement-breakpoint
CREATE INDEX `assignments_contact_id_idx` ON `assignments` (`contact_id`,`id`);--> statement-breakpoint
DROP INDEX `organizations_state_idx`;--> statement-breakpoint
CREATE INDEX `organizations_state_id_idx` ON `organizations` (`state_code`,`id`);--> statement-breakpoint
-- hand-written
-- The stale report's order (last verified, else created; then id) over live records: a page
-- reads its own rows from each table instead of scanning and sorting all of them.
CREATE INDEX `contacts_stale_idx` ON `contacts` (coalesce(`last_verified_at`, `created_at`), `id`) WHERE `deleted_at` IS NULL;--> statement-breakpoint
CREATE INDEX `organizations_stale_idx` ON `organizations` (coalesce(`last_verified_at`, `created_at`), `id`) WHERE `deleted_at` IS NULL;
