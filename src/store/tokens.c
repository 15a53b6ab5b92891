/* tokens.c — refresh-token records and revocations; see tokens.h. */
#include "store/tokens.h"

#include "store/internal.h"
#include "util/isotime.h"

#define INSERT_REFRESH \
    "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at)" \
    " VALUES ($1, $2, 'refresh', $3, $4)"

st_rc insert_refresh_token(db *d, const char *jti, const char *user_id, int64_t exp_us)
{
    return st_run(d, INSERT_REFRESH, ST_T(jti), ST_T(user_id), ST_I(exp_us),
                  ST_I(time_now_us()));
}

st_rc token_record_refresh(const char *jti, const char *user_id, int64_t exp_us)
{
    return st_write_run(NO_STAMPS, INSERT_REFRESH, ST_T(jti), ST_T(user_id), ST_I(exp_us),
                        ST_I(time_now_us()));
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

typedef struct token_job {
    const char *user_id;
    const char *old_jti;        /* rotate: the refresh token; logout: it or NULL */
    const char *new_jti;        /* rotate: the new refresh token; logout: the access token */
    int64_t exp_us;
} token_job;

static st_rc rotate_on(db *d, void *ctx)
{
    const token_job *j = ctx;
    st_rc res = revoke_refresh(d, j->old_jti, j->user_id, time_now_us());
    if (res == ST_CONFLICT)
        res = ST_NOT_FOUND;     /* a revoked token is simply not valid any more */
    if (res == ST_OK)
        res = insert_refresh_token(d, j->new_jti, j->user_id, j->exp_us);
    return res;
}

st_rc token_rotate(const char *old_jti, const char *user_id, const char *new_jti,
                   int64_t new_exp_us)
{
    token_job j = { user_id, old_jti, new_jti, new_exp_us };
    return st_write(rotate_on, &j);
}

static st_rc logout_on(db *d, void *ctx)
{
    const token_job *j = ctx;
    int64_t now = time_now_us();
    st_rc res = j->old_jti ? revoke_refresh(d, j->old_jti, j->user_id, now) : ST_OK;
    if (res == ST_OK)
        res = st_run(d, "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at,"
                        " revoked_at) VALUES ($1, $2, 'access', $3, $4, $4)"
                        " ON CONFLICT (jti) DO NOTHING",
                     ST_T(j->new_jti), ST_T(j->user_id), ST_I(j->exp_us), ST_I(now));
    return res;
}

st_rc token_logout(const char *user_id, const char *access_jti, int64_t access_exp_us,
                   const char *refresh_jti)
{
    token_job j = { user_id, refresh_jti, access_jti, access_exp_us };
    return st_write(logout_on, &j);
}

st_rc token_purge_expired(int64_t now_us)
{
    return st_write_run(NO_STAMPS, "DELETE FROM tokens WHERE expires_at < $1", ST_I(now_us));
}
