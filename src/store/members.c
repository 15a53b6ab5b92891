/* members.c — team rows; see members.h. */
#include "store/members.h"

#include "store/internal.h"
#include "store/rows.h"

#define MEMBER_FROM " FROM team_members t JOIN users u ON u.id = t.user_id"

void member_rows_free(member_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        member_row_free(&rows[i]);
    free(rows);
}

st_rc member_list(const char *wid, page pg, member_row **out, size_t *n, int64_t *total)
{
    *out = NULL;
    *n = 0;
    db_stmt *st = db_prepare(db_thread(), "SELECT " MEMBER_COLS MEMBER_FROM
                             " WHERE t.workspace_id = $1 ORDER BY t.joined_at, t.id"
                             " LIMIT $2 OFFSET $3");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, pg.limit > 0 ? pg.limit : INT64_MAX);
    db_bind_int(st, 3, pg.offset);
    db_rc rc = DB_ERR;
    size_t cap = 0;
    member_row *rows = NULL;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            member_row *p = realloc(rows, cap * sizeof *p);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            rows = p;
        }
        read_member(st, &rows[(*n)++]);
    }
    db_reset(st);
    if (rc != DB_DONE) {
        member_rows_free(rows, *n);
        *n = 0;
        return ST_DB_ERROR;
    }
    *out = rows;
    *total = (int64_t)*n;
    if (pg.limit > 0 || pg.offset > 0)
        return st_count("SELECT COUNT(*) FROM team_members WHERE workspace_id = $1", wid, total);
    return ST_OK;
}

st_rc member_get(const char *wid, const char *user_id, member_row *out)
{
    db_stmt *st = db_prepare(db_thread(), "SELECT " MEMBER_COLS MEMBER_FROM
                             " WHERE t.workspace_id = $1 AND t.user_id = $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_text(st, 2, user_id);
    db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_member(st, out);
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

static st_rc member_set(const char *sql, const char *wid, const char *user_id,
                        const char *value, member_row *out)
{
    db_stmt *st = db_prepare(db_thread(), sql);
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_text(st, 2, user_id);
    db_bind_text(st, 3, value);
    db_rc rc = db_step(st);
    int64_t changed = db_changes(st);
    db_reset(st);
    if (rc != DB_DONE)
        return ST_DB_ERROR;
    return changed ? member_get(wid, user_id, out) : ST_NOT_FOUND;
}

st_rc member_set_role(const char *wid, const char *user_id, const char *role, member_row *out)
{
    return member_set("UPDATE team_members SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
                      wid, user_id, role, out);
}

st_rc member_set_status(const char *wid, const char *user_id, const char *status,
                        member_row *out)
{
    return member_set("UPDATE team_members SET status = $3 WHERE workspace_id = $1"
                      " AND user_id = $2", wid, user_id, status, out);
}

st_rc member_remove(const char *wid, const char *user_id)
{
    db *d = db_writer();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    db_stmt *st = db_prepare(d, "DELETE FROM team_members WHERE workspace_id = $1 AND user_id = $2");
    st_rc res = ST_DB_ERROR;
    if (st) {
        db_bind_text(st, 1, wid);
        db_bind_text(st, 2, user_id);
        res = st_exec_changed(st);
    }
    if (res == ST_OK) {
        st = db_prepare(d, "DELETE FROM invitations WHERE workspace_id = $1 AND invitee_id = $2");
        if (st) {
            db_bind_text(st, 1, wid);
            db_bind_text(st, 2, user_id);
        }
        res = st_exec(st);
    }
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}
