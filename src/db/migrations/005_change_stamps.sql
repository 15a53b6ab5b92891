-- Change stamps for conditional GETs: each counter moves (+1) in the
-- transaction of every write that changes what a GET shows, so a poll's
-- ETag is decided from a few columns, on every node and across restarts,
-- without building the body. They only grow: a sum of stamps changes
-- whenever one of them does.
ALTER TABLE workspaces ADD COLUMN stamp_meta BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN stamp_team BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN stamp_convs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN stamp_mems BIGINT NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN stamp_acts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stamp_profile BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stamp_settings BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stamp_integrations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stamp_invitations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stamp_workspaces BIGINT NOT NULL DEFAULT 0;

-- Constant-cost service stats (API.md §7.2): active conversations are
-- counted like the others, and messages per minute, so "messages of the
-- last hour" sums at most 61 rows plus the part of one minute.
ALTER TABLE workspaces ADD COLUMN active_conversation_count BIGINT NOT NULL DEFAULT 0;
UPDATE workspaces SET active_conversation_count = (SELECT COUNT(*) FROM conversations c
    WHERE c.workspace_id = workspaces.id AND c.status = 'active');
CREATE TABLE message_minutes (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    minute BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, minute)
);
INSERT INTO message_minutes (workspace_id, minute, n)
    SELECT workspace_id, timestamp / 60000000, COUNT(*) FROM messages
    GROUP BY workspace_id, timestamp / 60000000;
