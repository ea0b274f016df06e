CREATE TABLE `participations` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`assignment_id` text,
	`status` text NOT NULL,
	`certificate_ref` text,
	`notes` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`event_id`) REFERENCES `training_events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assignment_id`) REFERENCES `assignments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `participations_event_contact_uq` ON `participations` (`event_id`,`contact_id`) WHERE "participations"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX `participations_contact_idx` ON `participations` (`contact_id`);--> statement-breakpoint
CREATE INDEX `participations_updated_idx` ON `participations` (`updated_at`);--> statement-breakpoint
CREATE TABLE `training_events` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`kind` text NOT NULL,
	`organisers` text NOT NULL,
	`host_state_code` text,
	`location` text,
	`start_date` text NOT NULL,
	`end_date` text NOT NULL,
	`languages` text NOT NULL,
	`description` text,
	`external_ref` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`host_state_code`) REFERENCES `states`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_events_start_idx` ON `training_events` (`start_date`,`id`);--> statement-breakpoint
CREATE INDEX `training_events_host_idx` ON `training_events` (`host_state_code`);--> statement-breakpoint
CREATE INDEX `training_events_updated_idx` ON `training_events` (`updated_at`);