-- The vector index refreshes by a per-workspace change sequence instead of
-- timestamps: every memory change bumps workspaces.generation (the
-- workspace row is written first, so it is locked and the sequence follows
-- commit order); the memory row keeps the generation of its last change,
-- and a deletion leaves a tombstone of the same generation. Tombstones at
-- or below tombstone_floor may have been pruned: an index older than the
-- floor loads in full.
ALTER TABLE memories ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
UPDATE memories SET change_seq =
    (SELECT w.generation FROM workspaces w WHERE w.id = memories.workspace_id);
CREATE INDEX memories_workspace_change ON memories(workspace_id, change_seq);
ALTER TABLE workspaces ADD COLUMN tombstone_floor BIGINT NOT NULL DEFAULT 0;
CREATE TABLE memory_tombstones (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    memory_id TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
