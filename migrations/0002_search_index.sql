-- Full-text index over search_documents (external content). The write path maintains it
-- explicitly, in the same transaction as the record (triggers cost three times as much per
-- row on bulk imports), so a write and its index entry commit or roll back together.
-- Tokens are already folded ASCII.
CREATE VIRTUAL TABLE `search_index` USING fts5(
	public_plain, public_folded, restricted_plain, restricted_folded,
	content='search_documents', content_rowid='doc',
	tokenize='unicode61', prefix='2 3'
);
