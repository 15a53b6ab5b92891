-- Keyword search (BM25): the postings of the terms src/util/terms.c makes of
-- each memory's title and content, written with the memory in the same
-- transaction. Clustered by (workspace, term) so that a term's postings are
-- one contiguous range (WITHOUT ROWID; PostgreSQL's twin covers tf and
-- doc_len in its primary key index instead). memories.term_count is the
-- memory's weighted number of terms, NULL until it is indexed: the rows
-- existing now are indexed by the server after this step
-- (memory_terms_backfill). workspaces.term_total sums term_count, for the
-- average document length.
CREATE TABLE memory_terms (
    workspace_id TEXT NOT NULL,
    term TEXT NOT NULL,
    memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    tf INTEGER NOT NULL,
    doc_len INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, term, memory_id)
) WITHOUT ROWID;
CREATE INDEX memory_terms_memory ON memory_terms(memory_id);
-- memory_term_df: per workspace and term, how many memories hold it (BM25's
-- document frequency, read in one lookup; rows reaching 0 are removed).
CREATE TABLE memory_term_df (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    df BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, term)
) WITHOUT ROWID;
ALTER TABLE memories ADD COLUMN term_count INTEGER;
CREATE INDEX memories_terms_pending ON memories(id) WHERE term_count IS NULL;
ALTER TABLE workspaces ADD COLUMN term_total BIGINT NOT NULL DEFAULT 0;
