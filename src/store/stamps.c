/* stamps.c — moving change stamps inside write transactions, and the
 * one-statement writes that name theirs (st_write_stmt); see stamps.h. */
#include "store/stamps.h"

#include "store/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const WS_COLUMNS[WS_KINDS] = {
    "stamp_meta", "stamp_team", "stamp_convs", "stamp_mems", "stamp_acts",
};
static const char *const USER_COLUMNS[U_KINDS] = {
    "stamp_profile", "stamp_settings", "stamp_integrations", "stamp_invitations",
    "stamp_workspaces",
};

/* The statement cache keys on the SQL text's address (db.h: string
 * literals), so a built text is interned: kept for the process's life,
 * one copy per distinct text. They are few: one per call site's kinds. */
#define INTERN_MAX 128
static const char *interned[INTERN_MAX];
static size_t ninterned;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *intern(const char *s)
{
    const char *found = NULL;
    pthread_mutex_lock(&intern_lock);
    for (size_t i = 0; i < ninterned && !found; i++)
        if (strcmp(interned[i], s) == 0)
            found = interned[i];
    if (!found && ninterned < INTERN_MAX && (found = strdup(s)) != NULL)
        interned[ninterned++] = found;
    pthread_mutex_unlock(&intern_lock);
    return found;
}

/* "UPDATE table SET c = c + 1, … WHERE " + where: each kind a column. */
static st_rc bump(db *d, const char *table, const char *const *cols, int ncols, unsigned kinds,
                  const char *where, const char *arg)
{
    char sql[640];
    int n = snprintf(sql, sizeof sql, "UPDATE %s SET ", table);
    const char *sep = "";
    for (int i = 0; i < ncols; i++) {
        if (kinds & (1u << i)) {
            n += snprintf(sql + n, sizeof sql - (size_t)n, "%s%s = %s + 1", sep, cols[i],
                          cols[i]);
            sep = ", ";
        }
    }
    if (!*sep)
        return ST_OK;
    snprintf(sql + n, sizeof sql - (size_t)n, " WHERE %s", where);
    const char *text = intern(sql);
    return text ? st_run(d, text, ST_T(arg)) : ST_DB_ERROR;
}

#define WS_BUMP(d, kinds, where, arg) bump((d), "workspaces", WS_COLUMNS, WS_KINDS, (kinds), \
                                           (where), (arg))
#define USER_BUMP(d, kinds, where, arg) bump((d), "users", USER_COLUMNS, U_KINDS, (kinds), \
                                             (where), (arg))

st_rc stamp_ws(db *d, const char *wid, unsigned kinds)
{
    return WS_BUMP(d, kinds, "id = $1", wid);
}

st_rc stamp_ws_of_conv(db *d, const char *cid, unsigned kinds)
{
    return WS_BUMP(d, kinds, "id = (SELECT c.workspace_id FROM conversations c WHERE c.id = $1)",
                   cid);
}

st_rc stamp_ws_of_user(db *d, const char *uid, unsigned kinds)
{
    return WS_BUMP(d, kinds, "owner_id = $1 OR id IN (SELECT t.workspace_id FROM team_members t"
                             " WHERE t.user_id = $1)", uid);
}

st_rc stamp_user(db *d, const char *uid, unsigned kinds)
{
    return USER_BUMP(d, kinds, "id = $1", uid);
}

st_rc stamp_users_of_ws(db *d, const char *wid, unsigned kinds)
{
    return USER_BUMP(d, kinds, "id IN (SELECT w.owner_id FROM workspaces w WHERE w.id = $1"
                               " UNION SELECT t.user_id FROM team_members t"
                               " WHERE t.workspace_id = $1)", wid);
}

st_rc stamp_invitees_of_ws(db *d, const char *wid)
{
    return USER_BUMP(d, U_INVITATIONS, "id IN (SELECT i.invitee_id FROM invitations i"
                                       " WHERE i.workspace_id = $1 AND i.status = 'pending')",
                     wid);
}

st_rc stamp_invitees_of_inviter(db *d, const char *uid)
{
    return USER_BUMP(d, U_INVITATIONS, "id IN (SELECT i.invitee_id FROM invitations i"
                                       " WHERE i.inviter_id = $1 AND i.status = 'pending')",
                     uid);
}

st_rc stamp_owned_ws_gone(db *d, const char *uid)
{
    st_rc res = USER_BUMP(d, U_WORKSPACES, "id = $1 OR id IN (SELECT t.user_id"
                                           " FROM team_members t JOIN workspaces w"
                                           " ON w.id = t.workspace_id WHERE w.owner_id = $1)",
                          uid);
    if (res == ST_OK)
        res = USER_BUMP(d, U_INVITATIONS, "id IN (SELECT i.invitee_id FROM invitations i"
                                          " JOIN workspaces w ON w.id = i.workspace_id"
                                          " WHERE w.owner_id = $1 AND i.status = 'pending')",
                        uid);
    return res;
}

st_rc stamp_apply(db *d, const stamp_set *s)
{
    st_rc res = s->wid ? stamp_ws(d, s->wid, s->ws) : ST_OK;
    if (res == ST_OK && s->cid)
        res = stamp_ws_of_conv(d, s->cid, s->conv_ws);
    if (res == ST_OK && s->uid)
        res = stamp_user(d, s->uid, s->user);
    return res;
}

/* ---- one statement as a whole write, then its stamps ----------------------- */

typedef struct stmt_job {
    stamp_set stamps;
    const char *sql;
    const st_arg *args;
    size_t nargs;
    bool changed;
} stmt_job;

static st_rc stmt_on(db *d, void *ctx)
{
    const stmt_job *j = ctx;
    db_stmt *st = st_prep_a(d, j->sql, j->args, j->nargs);
    st_rc res = j->changed ? st_exec_changed(st) : st_exec(st);
    return res == ST_OK ? stamp_apply(d, &j->stamps) : res;
}

st_rc st_write_stmt(stamp_set stamps, const char *sql, const st_arg *args, size_t nargs,
                    bool changed)
{
    stmt_job j = { stamps, sql, args, nargs, changed };
    return st_write(stmt_on, &j);
}
