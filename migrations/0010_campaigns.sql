CREATE TABLE `campaign_links` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`posts` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` text NOT NULL,
	`issued_at` text NOT NULL,
	`outcome` text,
	`answered_at` text,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_links_token_uq` ON `campaign_links` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_links_person_uq` ON `campaign_links` (`campaign_id`,`contact_id`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`message` text NOT NULL,
	`due_date` text NOT NULL,
	`state_codes` text NOT NULL,
	`role_ids` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text
);
--> statement-breakpoint
CREATE TABLE `corrections` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`link_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`patch` text NOT NULL,
	`base_version` integer NOT NULL,
	`status` text NOT NULL,
	`proposed_at` text NOT NULL,
	`reviewed_by` text,
	`reviewed_at` text,
	`reason` text,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`link_id`) REFERENCES `campaign_links`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `corrections_campaign_idx` ON `corrections` (`campaign_id`,`proposed_at`);