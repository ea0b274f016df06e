-- The delivery log moved to a file of its own (<DATABASE_PATH>-deliveries, src/modules/webhooks/delivery-log.ts), so
-- its writes never take this database's write lock. Entries logged before this migration are not carried over.
DROP TABLE `webhook_deliveries`;
