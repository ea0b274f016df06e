-- Full-text index over search_documents (external content), kept in step by triggers so a
-- write and its index entry commit or roll back together. Tokens are already folded ASCII.
CREATE VIRTUAL TABLE `search_index` USING fts5(
	public_plain, public_folded, restricted_plain, restricted_folded,
	content='search_documents', content_rowid='doc',
	tokenize='unicode61', prefix='2 3'
);
--> statement-breakpoint
CREATE TRIGGER `search_documents_ai` AFTER INSERT ON `search_documents` BEGIN
	INSERT INTO search_index(rowid, public_plain, public_folded, restricted_plain, restricted_folded)
	VALUES (new.doc, new.public_plain, new.public_folded, new.restricted_plain, new.restricted_folded);
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_ad` AFTER DELETE ON `search_documents` BEGIN
	INSERT INTO search_index(search_index, rowid, public_plain, public_folded, restricted_plain, restricted_folded)
	VALUES ('delete', old.doc, old.public_plain, old.public_folded, old.restricted_plain, old.restricted_folded);
END;
--> statement-breakpoint
CREATE TRIGGER `search_documents_au` AFTER UPDATE ON `search_documents` BEGIN
	INSERT INTO search_index(search_index, rowid, public_plain, public_folded, restricted_plain, restricted_folded)
	VALUES ('delete', old.doc, old.public_plain, old.public_folded, old.restricted_plain, old.restricted_folded);
	INSERT INTO search_index(rowid, public_plain, public_folded, restricted_plain, restricted_folded)
	VALUES (new.doc, new.public_plain, new.public_folded, new.restricted_plain, new.restricted_folded);
END;
