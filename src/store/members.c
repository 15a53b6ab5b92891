/* members.c — team rows; see members.h. */
#include "store/members.h"

#include "store/internal.h"
#include "store/stamps.h"
#include "store/rows.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER_FROM " FROM team_members t JOIN users u ON u.id = t.user_id"

void member_row_free(member_row *m)
{
    free(m->name);
    free(m->email);
    m->name = m->email = NULL;
}

bool read_member(db_stmt *st, void *row)
{
    member_row *m = row;
    memset(m, 0, sizeof *m);
    COL_COPY(m->workspace_id, st, 0);
    COL_COPY(m->id, st, 1);
    COL_COPY(m->user_id, st, 2);
    COL_COPY(m->role, st, 3);
    COL_COPY(m->status, st, 4);
    m->joined_at = db_col_int(st, 5);
    if (col_dup_str(st, 6, &m->name) && col_dup_str(st, 7, &m->email))
        return true;
    member_row_free(m);
    return false;
}

st_rc member_insert(db *d, const char *wid, const char *user_id, const char *role,
                    const char *status, int64_t now, char *id_out, size_t idsz)
{
    char id[ID_MAX];
    id_prefixed("tm", id, sizeof id);
    if (id_out)
        snprintf(id_out, idsz, "%s", id);
    /* DO NOTHING rather than a constraint error: on PostgreSQL an error
     * would abort the caller's whole transaction. */
    st_rc res = st_run(d, "INSERT INTO team_members (id, user_id, workspace_id, role, status,"
                          " joined_at) VALUES ($1, $2, $3, $4, $5, $6)"
                          " ON CONFLICT (user_id, workspace_id) DO NOTHING",
                       ST_T(id), ST_T(user_id), ST_T(wid), ST_T(role), ST_T(status), ST_I(now));
    return res == ST_OK ? stamp_ws(d, wid, WS_TEAM) : res;
}

void member_rows_free(member_row *rows, size_t n)
{
    ST_FREE_ROWS(rows, n, member_row_free);
}

st_rc member_list(const char *wid, page pg, member_row **out, size_t *n, int64_t *total)
{
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st_prep(db_thread(), "SELECT " MEMBER_COLS MEMBER_FROM
                                " WHERE t.workspace_id = $1 ORDER BY t.joined_at, t.id"
                                " LIMIT $2 OFFSET $3",
                                ST_T(wid), ST_PAGE(pg)), sizeof **out, read_member, out, n);
    if (res == ST_OK)
        res = st_total("SELECT COUNT(*) FROM team_members WHERE workspace_id = $1",
                       wid, pg, *n, total);
    if (res != ST_OK)
        ST_DROP_ROWS(member_rows_free, out, n);
    return res;
}

st_rc member_get(const char *wid, const char *user_id, member_row *out)
{
    return st_one(st_prep(db_thread(), "SELECT " MEMBER_COLS MEMBER_FROM
                          " WHERE t.workspace_id = $1 AND t.user_id = $2",
                          ST_T(wid), ST_T(user_id)), read_member, out);
}

static st_rc member_set(const char *sql, const char *wid, const char *user_id,
                        const char *value, member_row *out)
{
    st_rc res = st_write_change(WS_STAMPS(wid, WS_TEAM), sql, ST_T(wid), ST_T(user_id), ST_T(value));
    return res == ST_OK ? member_get(wid, user_id, out) : res;
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

typedef struct member_key {
    const char *wid, *user_id;
} member_key;

static st_rc remove_on(db *d, void *ctx)
{
    const member_key *k = ctx;
    st_rc res = st_change(d, "DELETE FROM team_members WHERE workspace_id = $1 AND user_id = $2",
                          ST_T(k->wid), ST_T(k->user_id));
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM invitations WHERE workspace_id = $1 AND invitee_id = $2",
                     ST_T(k->wid), ST_T(k->user_id));
    if (res == ST_OK)
        res = stamp_ws(d, k->wid, WS_TEAM);
    if (res == ST_OK)
        res = stamp_user(d, k->user_id, U_WORKSPACES | U_INVITATIONS);
    return res;
}

st_rc member_remove(const char *wid, const char *user_id)
{
    member_key k = { wid, user_id };
    return st_write(remove_on, &k);
}
