-- Abuse-limit counters shared by every node of a cluster (used on PostgreSQL;
-- SQLite has one node and counts in memory). id is a keyed hash of what is
-- counted (an email, a client address, a user id and minute), never the value.
CREATE TABLE rate_counters (
    id TEXT PRIMARY KEY,
    window_end BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_counters_window_end ON rate_counters(window_end);
