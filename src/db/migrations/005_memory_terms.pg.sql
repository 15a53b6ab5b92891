-- Keyword search (BM25): see 005_memory_terms.sqlite.sql. The same columns;
-- the primary key index carries tf and doc_len so that a term's postings
-- are read by an index-only scan.
CREATE TABLE memory_terms (
    workspace_id TEXT NOT NULL,
    term TEXT NOT NULL,
    memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    tf INTEGER NOT NULL,
    doc_len INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, term, memory_id) INCLUDE (tf, doc_len)
);
CREATE INDEX memory_terms_memory ON memory_terms(memory_id);
-- memory_term_df: per workspace and term, how many memories hold it (BM25's
-- document frequency, read in one lookup; rows reaching 0 are removed).
CREATE TABLE memory_term_df (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    df BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, term)
);
ALTER TABLE memories ADD COLUMN term_count INTEGER;
CREATE INDEX memories_terms_pending ON memories(id) WHERE term_count IS NULL;
ALTER TABLE workspaces ADD COLUMN term_total BIGINT NOT NULL DEFAULT 0;
