DROP INDEX `assignments_state_role_idx`;--> statement-breakpoint
DROP INDEX `assignments_org_role_idx`;--> statement-breakpoint
CREATE INDEX `assignments_state_role_order_idx` ON `assignments` (`state_code`,`role_id`,is_primary desc,`start_date`,`id`);--> statement-breakpoint
CREATE INDEX `assignments_org_role_order_idx` ON `assignments` (`organization_id`,`role_id`,is_primary desc,`start_date`,`id`);--> statement-breakpoint
CREATE INDEX `assignments_role_order_idx` ON `assignments` (`role_id`,is_primary desc,`start_date`,`id`);