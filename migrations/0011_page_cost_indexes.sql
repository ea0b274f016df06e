DROP INDEX `contacts_updated_idx`;--> statement-breakpoint
CREATE INDEX `contacts_updated_id_idx` ON `contacts` (`updated_at`,`id`);--> statement-breakpoint
DROP INDEX `organizations_parent_idx`;--> statement-breakpoint
DROP INDEX `organizations_updated_idx`;--> statement-breakpoint
CREATE INDEX `organizations_kind_id_idx` ON `organizations` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `organizations_parent_id_idx` ON `organizations` (`parent_id`,`id`);--> statement-breakpoint
CREATE INDEX `organizations_updated_id_idx` ON `organizations` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `assignments_state_contact_idx` ON `assignments` (`state_code`,`contact_id`,`role_id`,`end_date`) WHERE "assignments"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX `assignments_org_contact_idx` ON `assignments` (`organization_id`,`contact_id`,`role_id`,`end_date`) WHERE "assignments"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX `assignments_role_contact_idx` ON `assignments` (`role_id`,`contact_id`,`end_date`) WHERE "assignments"."deleted_at" is null;