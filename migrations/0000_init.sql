CREATE TABLE `assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`role_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`state_code` text,
	`start_date` text NOT NULL,
	`end_date` text,
	`end_reason` text,
	`is_primary` integer DEFAULT false NOT NULL,
	`succeeded_by` text,
	`designation_ref` text,
	`designation_date` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`role_id`) REFERENCES `roles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`state_code`) REFERENCES `states`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`succeeded_by`) REFERENCES `assignments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `assignments_state_role_idx` ON `assignments` (`state_code`,`role_id`,`start_date`);--> statement-breakpoint
CREATE INDEX `assignments_org_role_idx` ON `assignments` (`organization_id`,`role_id`);--> statement-breakpoint
CREATE INDEX `assignments_contact_idx` ON `assignments` (`contact_id`);--> statement-breakpoint
CREATE INDEX `assignments_updated_idx` ON `assignments` (`updated_at`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` text PRIMARY KEY NOT NULL,
	`honorific` text,
	`given_name` text,
	`family_name` text NOT NULL,
	`display_name` text NOT NULL,
	`name_original` text,
	`name_latin` text,
	`position_title` text,
	`languages` text NOT NULL,
	`contact_details` text NOT NULL,
	`notes` text,
	`external_id` text,
	`last_verified_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text
);
--> statement-breakpoint
CREATE INDEX `contacts_updated_idx` ON `contacts` (`updated_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_external_id_uq` ON `contacts` (`external_id`) WHERE "contacts"."external_id" is not null and "contacts"."deleted_at" is null;--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`acronym` text,
	`kind` text NOT NULL,
	`state_code` text,
	`parent_id` text,
	`website` text,
	`contact_details` text NOT NULL,
	`external_id` text,
	`last_verified_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`state_code`) REFERENCES `states`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`parent_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `organizations_state_idx` ON `organizations` (`state_code`);--> statement-breakpoint
CREATE INDEX `organizations_parent_idx` ON `organizations` (`parent_id`);--> statement-breakpoint
CREATE INDEX `organizations_updated_idx` ON `organizations` (`updated_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_external_id_uq` ON `organizations` (`external_id`) WHERE "organizations"."external_id" is not null and "organizations"."deleted_at" is null;--> statement-breakpoint
CREATE TABLE `revisions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_id` text NOT NULL,
	`request_id` text NOT NULL,
	`changes` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `revisions_entity_idx` ON `revisions` (`entity`,`entity_id`,`seq`);--> statement-breakpoint
CREATE TABLE `roles` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`domain` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `roles_key_uq` ON `roles` (`key`) WHERE "roles"."deleted_at" is null;--> statement-breakpoint
CREATE TABLE `states` (
	`code` text PRIMARY KEY NOT NULL,
	`iso3` text NOT NULL,
	`name` text NOT NULL,
	`official_name` text NOT NULL,
	`names` text NOT NULL,
	`un_member` integer NOT NULL,
	`osce_participating` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text
);
