ALTER TABLE `revisions` ADD `version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Earlier revisions get the version their change produced: every change of a record writes one
-- revision and steps its version by one, so it is the count of the record's revisions so far.
UPDATE `revisions` SET `version` = (
  SELECT count(*) FROM `revisions` AS `r`
  WHERE `r`.`entity` = `revisions`.`entity` AND `r`.`entity_id` = `revisions`.`entity_id` AND `r`.`seq` <= `revisions`.`seq`
);
