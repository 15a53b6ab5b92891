/* tokens.c — refresh-token records and revocations; see tokens.h. */
#include "store/tokens.h"

#include "store/internal.h"
#include "util/isotime.h"

st_rc insert_refresh_token(db *d, const char *jti, const char *user_id, int64_t exp_us)
{
    db_stmt *st = db_prepare(d,
        "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at)"
        " VALUES ($1, $2, 'refresh', $3, $4)");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, jti);
    db_bind_text(st, 2, user_id);
    db_bind_int(st, 3, exp_us);
    db_bind_int(st, 4, time_now_us());
    db_rc rc = db_step(st);
    db_reset(st);
    return st_from_db(rc);
}

st_rc token_record_refresh(const char *jti, const char *user_id, int64_t exp_us)
{
    db *d = db_thread();
    return d ? insert_refresh_token(d, jti, user_id, exp_us) : ST_DB_ERROR;
}

/* Revokes an active refresh token of user_id. ST_NOT_FOUND if there is no
 * such active token; ST_CONFLICT if it exists but was already revoked. */
static st_rc revoke_refresh(db *d, const char *jti, const char *user_id, int64_t now)
{
    db_stmt *st = db_prepare(d,
        "UPDATE tokens SET revoked_at = $3 WHERE jti = $1 AND user_id = $2"
        " AND token_type = 'refresh' AND revoked_at IS NULL");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, jti);
    db_bind_text(st, 2, user_id);
    db_bind_int(st, 3, now);
    db_rc rc = db_step(st);
    int64_t n = db_changes(st);
    db_reset(st);
    if (rc != DB_DONE)
        return ST_DB_ERROR;
    if (n == 1)
        return ST_OK;
    st = db_prepare(d, "SELECT 1 FROM tokens WHERE jti = $1 AND user_id = $2"
                       " AND token_type = 'refresh'");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, jti);
    db_bind_text(st, 2, user_id);
    rc = db_step(st);
    db_reset(st);
    return rc == DB_ROW ? ST_CONFLICT : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

st_rc token_rotate(const char *old_jti, const char *user_id, const char *new_jti,
                   int64_t new_exp_us)
{
    db *d = db_writer();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = revoke_refresh(d, old_jti, user_id, time_now_us());
    if (res == ST_CONFLICT)
        res = ST_NOT_FOUND;     /* a revoked token is simply not valid any more */
    if (res == ST_OK)
        res = insert_refresh_token(d, new_jti, user_id, new_exp_us);
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}

static st_rc revoke_access(db *d, const char *jti, const char *user_id, int64_t exp_us,
                           int64_t now)
{
    db_stmt *st = db_prepare(d,
        "INSERT INTO tokens (jti, user_id, token_type, expires_at, created_at, revoked_at)"
        " VALUES ($1, $2, 'access', $3, $4, $4) ON CONFLICT (jti) DO NOTHING");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, jti);
    db_bind_text(st, 2, user_id);
    db_bind_int(st, 3, exp_us);
    db_bind_int(st, 4, now);
    db_rc rc = db_step(st);
    db_reset(st);
    return st_from_db(rc);
}

st_rc token_logout(const char *user_id, const char *access_jti, int64_t access_exp_us,
                   const char *refresh_jti)
{
    db *d = db_writer();
    int64_t now = time_now_us();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = refresh_jti ? revoke_refresh(d, refresh_jti, user_id, now) : ST_OK;
    if (res == ST_OK)
        res = revoke_access(d, access_jti, user_id, access_exp_us, now);
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}

st_rc token_purge_expired(int64_t now_us)
{
    db_stmt *st = db_prepare(db_thread(), "DELETE FROM tokens WHERE expires_at < $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_int(st, 1, now_us);
    db_rc rc = db_step(st);
    db_reset(st);
    return st_from_db(rc);
}
