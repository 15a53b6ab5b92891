-- Login sessions (issue 16): every refresh token records the session (JWT
-- claim sid) of the login it descends from, so logout can revoke them all.
-- An ended session is a row of token_type 'session' with jti = the session
-- id, revoked_at set, kept until every token of the session has expired.
ALTER TABLE tokens ADD COLUMN session_id TEXT;
CREATE INDEX tokens_session ON tokens(session_id);
