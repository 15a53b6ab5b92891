-- 001_init: the whole schema of API.md §3. Times are epoch microseconds (UTC),
-- booleans 0/1, JSON as TEXT, vectors as little-endian float32 @BLOB@s.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password TEXT NOT NULL,
    avatar TEXT,
    auto_store INTEGER NOT NULL DEFAULT 1,
    retention_period TEXT NOT NULL DEFAULT 'indefinite-84',
    is_active INTEGER NOT NULL DEFAULT 1,
    date_joined BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Issued refresh tokens and revoked access tokens, by JWT id (D4).
CREATE TABLE tokens (
    jti TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_type TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE INDEX tokens_expiry ON tokens(expires_at);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Bumped in the same transaction as every memory change (vector index).
    generation BIGINT NOT NULL DEFAULT 0,
    -- Counters kept in the transaction of each memory/conversation change,
    -- so listing workspaces never counts rows.
    memory_count BIGINT NOT NULL DEFAULT 0,
    embedding_count BIGINT NOT NULL DEFAULT 0,
    conversation_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX workspaces_owner ON workspaces(owner_id, updated_at);

CREATE TABLE team_members (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'researcher',
    status TEXT NOT NULL DEFAULT 'offline',
    joined_at BIGINT NOT NULL,
    UNIQUE (user_id, workspace_id)
);
CREATE INDEX team_members_workspace ON team_members(workspace_id, joined_at);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    inviter_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    invitee_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'researcher',
    status TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL,
    responded_at BIGINT,
    UNIQUE (workspace_id, invitee_id)
);
CREATE INDEX invitations_invitee ON invitations(invitee_id, status, created_at);
CREATE INDEX invitations_inviter ON invitations(inviter_id);

CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    model_id TEXT,
    model_name TEXT,
    api_key TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'disconnected',
    last_tested BIGINT,
    error_message TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, provider)
);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    title TEXT NOT NULL DEFAULT 'New Conversation',
    model_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_workspace ON conversations(workspace_id, updated_at);

-- workspace_id is denormalised so the per-workspace load formula (messages
-- of the last hour) is one indexed range scan.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    is_pinned INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    timestamp BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, timestamp);
CREATE INDEX messages_workspace ON messages(workspace_id, timestamp);

CREATE TABLE memories (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    snippet TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    embedding @BLOB@,
    embedding_model TEXT,
    embedding_dim INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX memories_workspace_updated ON memories(workspace_id, updated_at);
CREATE INDEX memories_workspace_created ON memories(workspace_id, created_at);

CREATE TABLE memory_tags (
    memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (memory_id, tag)
);
CREATE INDEX memory_tags_tag ON memory_tags(tag);

CREATE TABLE conversation_memories (
    id @SERIAL_KEY@,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    is_active INTEGER NOT NULL DEFAULT 1,
    injected_at BIGINT NOT NULL,
    UNIQUE (conversation_id, memory_id)
);
CREATE INDEX conversation_memories_memory ON conversation_memories(memory_id);

CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    description TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    timestamp BIGINT NOT NULL
);
CREATE INDEX activities_workspace ON activities(workspace_id, timestamp);

CREATE TABLE load_snapshots (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    value INTEGER NOT NULL,
    timestamp BIGINT NOT NULL
);
CREATE INDEX load_snapshots_workspace ON load_snapshots(workspace_id, timestamp);
