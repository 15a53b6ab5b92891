-- Conversations keep their message count (as workspaces keep theirs), so a
-- conversation or a list of them no longer counts messages on every read.
ALTER TABLE conversations ADD COLUMN message_count BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET message_count =
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id);
