/* tokens.c — refresh-token records, login sessions and revocations; see
 * tokens.h. */
#include "store/tokens.h"

#include "store/internal.h"
#include "util/isotime.h"

#define INSERT_REFRESH \
    "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at, session_id)" \
    " VALUES ($1, $2, 'refresh', $3, $4, $5)"

st_rc insert_refresh_token(db *d, const char *jti, const char *user_id, const char *sid,
                           int64_t exp_us)
{
    return st_run(d, INSERT_REFRESH, ST_T(jti), ST_T(user_id), ST_I(exp_us),
                  ST_I(time_now_us()), ST_T(sid));
}

st_rc token_record_refresh(const char *jti, const char *user_id, const char *sid,
                           int64_t exp_us)
{
    return st_write_run(NO_STAMPS, INSERT_REFRESH, ST_T(jti), ST_T(user_id), ST_I(exp_us),
                        ST_I(time_now_us()), ST_T(sid));
}

/* Revokes an active refresh token of user_id. ST_NOT_FOUND if there is no
 * such active token; ST_CONFLICT if it exists but was already revoked. */
static st_rc revoke_refresh(db *d, const char *jti, const char *user_id, int64_t now)
{
    st_rc res = st_change(d, "UPDATE tokens SET revoked_at = $3 WHERE jti = $1 AND user_id = $2"
                             " AND token_type = 'refresh' AND revoked_at IS NULL",
                          ST_T(jti), ST_T(user_id), ST_I(now));
    if (res != ST_NOT_FOUND)
        return res;
    db_stmt *st = st_prep(d, "SELECT 1 FROM tokens WHERE jti = $1 AND user_id = $2"
                             " AND token_type = 'refresh'", ST_T(jti), ST_T(user_id));
    db_rc rc = st ? db_step(st) : DB_ERR;
    if (st)
        db_reset(st);
    return rc == DB_ROW ? ST_CONFLICT : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

/* ST_NOT_FOUND when session sid has ended, ST_OK when it is live. A token
 * rotated while the session was being ended (on another node) escapes the
 * logout's UPDATE, so this check, not the token's own row alone, is what
 * makes an ended session stay ended. */
static st_rc session_live(db *d, const char *sid)
{
    db_stmt *st = st_prep(d, "SELECT 1 FROM tokens WHERE jti = $1 AND token_type = 'session'",
                          ST_T(sid));
    db_rc rc = st ? db_step(st) : DB_ERR;
    if (st)
        db_reset(st);
    return rc == DB_ROW ? ST_NOT_FOUND : rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

typedef struct rotate_job {
    const char *user_id, *sid, *old_jti, *new_jti;
    int64_t exp_us;
} rotate_job;

static st_rc rotate_on(db *d, void *ctx)
{
    const rotate_job *j = ctx;
    st_rc res = session_live(d, j->sid);
    if (res == ST_OK)
        res = revoke_refresh(d, j->old_jti, j->user_id, time_now_us());
    if (res == ST_CONFLICT)
        res = ST_NOT_FOUND;     /* a revoked token is simply not valid any more */
    if (res == ST_OK)
        res = insert_refresh_token(d, j->new_jti, j->user_id, j->sid, j->exp_us);
    return res;
}

st_rc token_rotate(const char *old_jti, const char *user_id, const char *sid,
                   const char *new_jti, int64_t new_exp_us)
{
    rotate_job j = { user_id, sid, old_jti, new_jti, new_exp_us };
    return st_write(rotate_on, &j);
}

/* Ends session sid: records it as ended and revokes its refresh tokens. */
static st_rc end_session(db *d, const token_logout_job *j, int64_t now)
{
    st_rc res = st_run(d, "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at,"
                          " revoked_at, session_id) VALUES ($1, $2, 'session', $3, $4, $4, $1)"
                          " ON CONFLICT (jti) DO NOTHING",
                       ST_T(j->sid), ST_T(j->user_id), ST_I(j->session_exp_us), ST_I(now));
    if (res == ST_OK)
        res = st_run(d, "UPDATE tokens SET revoked_at = $2 WHERE session_id = $1"
                        " AND token_type = 'refresh' AND revoked_at IS NULL",
                     ST_T(j->sid), ST_I(now));
    return res;
}

static st_rc logout_on(db *d, void *ctx)
{
    const token_logout_job *j = ctx;
    int64_t now = time_now_us();
    st_rc res = j->refresh_jti ? revoke_refresh(d, j->refresh_jti, j->user_id, now) : ST_OK;
    if (res == ST_OK)
        res = st_run(d, "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at,"
                        " revoked_at) VALUES ($1, $2, 'access', $3, $4, $4)"
                        " ON CONFLICT (jti) DO NOTHING",
                     ST_T(j->access_jti), ST_T(j->user_id), ST_I(j->access_exp_us), ST_I(now));
    if (res == ST_OK && *j->sid)
        res = end_session(d, j, now);
    return res;
}

st_rc token_logout(const token_logout_job *job)
{
    token_logout_job j = *job;
    return st_write(logout_on, &j);
}

st_rc token_purge_expired(int64_t now_us)
{
    return st_write_run(NO_STAMPS, "DELETE FROM tokens WHERE expires_at < $1", ST_I(now_us));
}
