/* account.c — see account.h. */
#include "store/account.h"

#include "store/internal.h"
#include "store/stamps.h"
#include "util/isotime.h"

typedef struct retention_job {
    const char *user_id, *period;
    int auto_store;
} retention_job;

static st_rc retention_on(db *d, void *ctx)
{
    const retention_job *j = ctx;
    st_rc res = st_run(d,
        "UPDATE users SET auto_store = CASE WHEN $2 >= 0 THEN $2 ELSE auto_store END,"
        " retention_period = COALESCE($3, retention_period), updated_at = $4 WHERE id = $1",
        ST_T(j->user_id), ST_I(j->auto_store), ST_T(j->period), ST_I(time_now_us()));
    return res == ST_OK ? stamp_user(d, j->user_id, U_SETTINGS) : res;
}

st_rc account_set_retention(const char *user_id, int auto_store, const char *period,
                            user_row *out)
{
    retention_job j = { user_id, period, auto_store };
    st_rc res = st_write(retention_on, &j);
    return res == ST_OK ? user_get(user_id, out) : res;
}

static bool read_counts(db_stmt *st, void *row)
{
    cleanup_counts *out = row;
    out->workspaces = db_col_int(st, 0);
    out->conversations = db_col_int(st, 1);
    out->memories = db_col_int(st, 2);
    out->messages = db_col_int(st, 3);
    return true;
}

typedef struct cleanup_job {
    const char *user_id;
    cleanup_counts *out;
} cleanup_job;

static st_rc cleanup_on(db *d, void *ctx)
{
    const cleanup_job *j = ctx;
    st_rc res = st_one(st_prep(d,
        "SELECT COUNT(*), COALESCE(SUM(w.conversation_count), 0),"
        " COALESCE(SUM(w.memory_count), 0),"
        " (SELECT COUNT(*) FROM messages m JOIN workspaces x ON x.id = m.workspace_id"
        "  WHERE x.owner_id = $1)"
        " FROM workspaces w WHERE w.owner_id = $1", ST_T(j->user_id)), read_counts, j->out);
    if (res == ST_OK)
        res = stamp_owned_ws_gone(d, j->user_id);
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM workspaces WHERE owner_id = $1", ST_T(j->user_id));
    return res == ST_NOT_FOUND ? ST_DB_ERROR : res;
}

st_rc account_cleanup(const char *user_id, cleanup_counts *out)
{
    cleanup_job j = { user_id, out };
    return st_write(cleanup_on, &j);
}

static st_rc delete_on(db *d, void *ctx)
{
    const char *user_id = ((const cleanup_job *)ctx)->user_id;
    /* Foreign keys cascade from users too; the explicit steps keep the order
     * of API.md §9 and do not depend on the engine's cascade order. */
    static const char *const steps[] = {
        "DELETE FROM workspaces WHERE owner_id = $1",
        "DELETE FROM team_members WHERE user_id = $1",
        "DELETE FROM integrations WHERE user_id = $1",
        "DELETE FROM users WHERE id = $1",
    };
    /* what others see of this user: workspaces, teams, invitations */
    st_rc res = stamp_owned_ws_gone(d, user_id);
    if (res == ST_OK)
        res = stamp_ws_of_user(d, user_id, WS_TEAM);
    if (res == ST_OK)
        res = stamp_invitees_of_inviter(d, user_id);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && res == ST_OK; i++)
        res = st_run(d, steps[i], ST_T(user_id));
    return res;
}

st_rc account_delete(const char *user_id)
{
    cleanup_job j = { user_id, NULL };
    return st_write(delete_on, &j);
}
