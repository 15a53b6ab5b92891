/* account.c — see account.h. */
#include "store/account.h"

#include "store/internal.h"
#include "util/isotime.h"

st_rc account_set_retention(const char *user_id, int auto_store, const char *period,
                            user_row *out)
{
    db_stmt *st = db_prepare(db_thread(),
        "UPDATE users SET auto_store = CASE WHEN $2 >= 0 THEN $2 ELSE auto_store END,"
        " retention_period = COALESCE($3, retention_period), updated_at = $4 WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, user_id);
    db_bind_int(st, 2, auto_store);
    db_bind_text(st, 3, period);
    db_bind_int(st, 4, time_now_us());
    st_rc res = st_exec(st);
    return res == ST_OK ? user_get(user_id, out) : res;
}

static st_rc count_owned(db *d, const char *user_id, cleanup_counts *out)
{
    db_stmt *st = db_prepare(d,
        "SELECT COUNT(*), COALESCE(SUM(w.conversation_count), 0),"
        " COALESCE(SUM(w.memory_count), 0),"
        " (SELECT COUNT(*) FROM messages m JOIN workspaces x ON x.id = m.workspace_id"
        "  WHERE x.owner_id = $1)"
        " FROM workspaces w WHERE w.owner_id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, user_id);
    db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        out->workspaces = db_col_int(st, 0);
        out->conversations = db_col_int(st, 1);
        out->memories = db_col_int(st, 2);
        out->messages = db_col_int(st, 3);
    }
    db_reset(st);
    return rc == DB_ROW ? ST_OK : ST_DB_ERROR;
}

/* Runs "DELETE … WHERE <col> = $1" for user_id inside a transaction. */
static st_rc delete_for(db *d, const char *sql, const char *user_id)
{
    db_stmt *st = db_prepare(d, sql);
    if (st)
        db_bind_text(st, 1, user_id);
    return st_exec(st);
}

st_rc account_cleanup(const char *user_id, cleanup_counts *out)
{
    db *d = db_writer();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = count_owned(d, user_id, out);
    if (res == ST_OK)
        res = delete_for(d, "DELETE FROM workspaces WHERE owner_id = $1", user_id);
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}

st_rc account_delete(const char *user_id)
{
    db *d = db_writer();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    /* Foreign keys cascade from users too; the explicit steps keep the order
     * of API.md §9 and do not depend on the engine's cascade order. */
    static const char *const steps[] = {
        "DELETE FROM workspaces WHERE owner_id = $1",
        "DELETE FROM team_members WHERE user_id = $1",
        "DELETE FROM integrations WHERE user_id = $1",
        "DELETE FROM users WHERE id = $1",
    };
    st_rc res = ST_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && res == ST_OK; i++)
        res = delete_for(d, steps[i], user_id);
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}
