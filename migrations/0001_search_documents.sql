CREATE TABLE `search_documents` (
	`doc` integer PRIMARY KEY NOT NULL,
	`entity` text NOT NULL,
	`entity_id` text NOT NULL,
	`folding` integer NOT NULL,
	`public_plain` text NOT NULL,
	`public_folded` text NOT NULL,
	`restricted_plain` text NOT NULL,
	`restricted_folded` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_documents_entity_uq` ON `search_documents` (`entity`,`entity_id`);