/* workspaces.c — workspaces and memberships; see workspaces.h. */
#include "store/workspaces.h"

#include "store/internal.h"
#include "store/stamps.h"
#include "store/rows.h"
#include "util/ids.h"
#include "util/isotime.h"

/* Workspaces a user can see: member (the owner always has a membership row)
 * or owner. $1 = user id. Written as IN so both engines drive the query
 * from the user's memberships instead of scanning workspaces. */
#define WS_VISIBLE \
    "(w.id IN (SELECT me.workspace_id FROM team_members me WHERE me.user_id = $1)" \
    " OR w.owner_id = $1)"

/* Columns of a ws_row; lastActivity = newest of the workspace, its
 * memories and its conversations: one index probe each (ORDER BY … LIMIT 1,
 * which SQLite, unlike MAX() with a WHERE, answers without a range scan). */
#define WS_COLS \
    "w.id, w.name, w.description, w.owner_id, w.created_at, w.updated_at," \
    " w.memory_count, w.embedding_count, w.conversation_count," \
    " (SELECT m.updated_at FROM memories m WHERE m.workspace_id = w.id" \
    "  ORDER BY m.updated_at DESC LIMIT 1)," \
    " (SELECT c.updated_at FROM conversations c WHERE c.workspace_id = w.id" \
    "  ORDER BY c.updated_at DESC LIMIT 1)"

ws_role ws_role_parse(const char *s)
{
    if (!s)
        return ROLE_NONE;
    if (strcmp(s, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(s, "researcher") == 0)
        return ROLE_RESEARCHER;
    if (strcmp(s, "observer") == 0)
        return ROLE_OBSERVER;
    return ROLE_NONE;
}

void ws_row_free(ws_row *w)
{
    free(w->name);
    free(w->description);
    for (size_t i = 0; i < w->nmembers; i++)
        member_row_free(&w->members[i]);
    free(w->members);
    memset(w, 0, sizeof *w);
}

void ws_list_free(ws_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ws_row_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int64_t max3(int64_t a, int64_t b, int64_t c)
{
    int64_t m = a > b ? a : b;
    return m > c ? m : c;
}

static bool read_ws(db_stmt *st, void *row)
{
    ws_row *w = row;
    memset(w, 0, sizeof *w);
    if (!col_dup_str(st, 1, &w->name) || !col_dup(st, 2, &w->description)) {
        ws_row_free(w);
        return false;
    }
    COL_COPY(w->id, st, 0);
    COL_COPY(w->owner_id, st, 3);
    w->created_at = db_col_int(st, 4);
    w->updated_at = db_col_int(st, 5);
    w->memories = db_col_int(st, 6);
    w->embeddings = db_col_int(st, 7);
    w->conversations = db_col_int(st, 8);
    w->last_activity = max3(w->updated_at, db_col_int(st, 9), db_col_int(st, 10));
    return true;
}

/* Appends a member to the workspace it belongs to (rows arrive grouped). */
static int attach_member(ws_row *w, const member_row *m)
{
    member_row *p = realloc(w->members, (w->nmembers + 1) * sizeof *p);
    if (!p)
        return -1;
    w->members = p;
    w->members[w->nmembers++] = *m;
    return 0;
}

/* Loads the members of every workspace in items[0..n) with one query.
 * sql selects member columns for $1 (a user id or a workspace id). */
static st_rc load_members(db *d, const char *sql, const char *arg, ws_row *items, size_t n)
{
    member_row *rows = NULL;
    size_t nrows = 0;
    st_rc res = st_rows(st_prep(d, sql, ST_T(arg)), sizeof *rows, read_member,
                        &rows, &nrows);
    for (size_t r = 0; r < nrows; r++) {
        ws_row *w = NULL;
        for (size_t i = 0; i < n && !w && res == ST_OK; i++)
            if (strcmp(items[i].id, rows[r].workspace_id) == 0)
                w = &items[i];
        if (!w || attach_member(w, &rows[r]) != 0)
            member_row_free(&rows[r]);
    }
    free(rows);
    return res;
}

st_rc ws_access(const char *wid, const char *user_id, ws_role *role)
{
    db_stmt *st = db_prepare(db_thread(),
        "SELECT w.owner_id, t.role FROM workspaces w LEFT JOIN team_members t"
        " ON t.workspace_id = w.id AND t.user_id = $2 WHERE w.id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_text(st, 2, user_id);
    db_rc rc = db_step(st);
    st_rc res = rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
    if (res == ST_OK) {
        const char *owner = db_col_text(st, 0);
        *role = owner && strcmp(owner, user_id) == 0 ? ROLE_OWNER
                                                     : ws_role_parse(db_col_text(st, 1));
    }
    db_reset(st);
    return res;
}

st_rc ws_list_for_user(const char *user_id, page pg, ws_list *out)
{
    memset(out, 0, sizeof *out);
    st_rc res = st_rows(st_prep(db_thread(),
        "SELECT " WS_COLS " FROM workspaces w WHERE " WS_VISIBLE
        " ORDER BY w.updated_at DESC, w.id LIMIT $2 OFFSET $3",
        ST_T(user_id), ST_PAGE(pg)),
        sizeof *out->items, read_ws, &out->items, &out->n);
    if (res == ST_OK && out->n)
        res = load_members(db_thread(), "SELECT " MEMBER_COLS " FROM team_members me"
                           " JOIN team_members t ON t.workspace_id = me.workspace_id"
                           " JOIN users u ON u.id = t.user_id WHERE me.user_id = $1"
                           " ORDER BY t.workspace_id, t.joined_at, t.id",
                           user_id, out->items, out->n);
    if (res == ST_OK)
        res = st_total("SELECT COUNT(*) FROM workspaces w WHERE " WS_VISIBLE, user_id, pg, out->n,
                       &out->total);
    if (res != ST_OK)
        ws_list_free(out);
    return res;
}

st_rc ws_ids_for_user(const char *user_id, char (*ids)[40], size_t max, size_t *n)
{
    db_stmt *st = st_prep(db_thread(), "SELECT w.id FROM workspaces w WHERE " WS_VISIBLE
                          " ORDER BY w.updated_at DESC, w.id LIMIT $2",
                          ST_T(user_id), ST_I(max));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc;
    *n = 0;
    while ((rc = db_step(st)) == DB_ROW && *n < max)
        COL_COPY(ids[(*n)++], st, 0);
    db_reset(st);
    return rc == DB_DONE ? ST_OK : ST_DB_ERROR;
}

static st_rc get_on(db *d, const char *wid, ws_row *out)
{
    st_rc res = st_one(st_prep(d, "SELECT " WS_COLS " FROM workspaces w WHERE w.id = $1",
                               ST_T(wid)), read_ws, out);
    if (res != ST_OK)
        return res;
    res = load_members(d, "SELECT " MEMBER_COLS " FROM team_members t JOIN users u"
                          " ON u.id = t.user_id WHERE t.workspace_id = $1"
                          " ORDER BY t.joined_at, t.id", wid, out, 1);
    if (res != ST_OK)
        ws_row_free(out);
    return res;
}

st_rc ws_get(const char *wid, ws_row *out)
{
    return get_on(db_thread(), wid, out);
}

typedef struct ws_job {
    const char *wid, *owner_id, *owner_name, *name, *description;
} ws_job;

static st_rc create_on(db *d, void *ctx)
{
    const ws_job *j = ctx;
    char tmid[ID_MAX], msg[1400];   /* names: 255 characters of ≤ 4 bytes */
    int64_t now = time_now_us();
    st_rc res = st_run(d, "INSERT INTO workspaces (id, name, description, owner_id, created_at,"
                          " updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                       ST_T(j->wid), ST_T(j->name), ST_T(j->description), ST_T(j->owner_id),
                       ST_I(now));
    if (res == ST_OK)
        res = member_insert(d, j->wid, j->owner_id, "admin", "online", now, tmid, sizeof tmid);
    if (res == ST_OK)
        res = stamp_user(d, j->owner_id, U_WORKSPACES);
    if (res == ST_OK) {
        snprintf(msg, sizeof msg, "Team member %s added as admin", j->owner_name);
        res = activity_add(d, j->wid, "team_member_added", msg,
                           json_pack("{s:s,s:s,s:s}", "teamMemberId", tmid, "userId",
                                     j->owner_id, "role", "admin"), now);
    }
    return res;
}

st_rc ws_create(const char *owner_id, const char *owner_name, const char *name,
                const char *description, ws_row *out)
{
    char wid[ID_MAX];
    id_prefixed("workspace", wid, sizeof wid);
    ws_job j = { wid, owner_id, owner_name, name, description };
    st_rc res = st_write(create_on, &j);
    return res == ST_OK ? ws_get(wid, out) : res;
}

typedef struct update_job {
    const char *wid, *name, *description;
    ws_row *out;
} update_job;

/* Reads the row back on the writer, whose pages are cached (as
 * memory_create does). */
static st_rc update_on(db *d, void *ctx)
{
    const update_job *j = ctx;
    st_rc res = st_run(d, "UPDATE workspaces SET name = COALESCE($2, name), description ="
                          " CASE WHEN $4 = 1 THEN $3 ELSE description END, updated_at = $5"
                          " WHERE id = $1", ST_T(j->wid), ST_T(j->name), ST_T(j->description),
                       ST_I(j->description != NULL), ST_I(time_now_us()));
    if (res == ST_OK)
        res = stamp_ws(d, j->wid, WS_META);
    if (res == ST_OK)       /* their inbox shows the workspace's name */
        res = stamp_invitees_of_ws(d, j->wid);
    return res == ST_OK ? get_on(d, j->wid, j->out) : res;
}

st_rc ws_update(const char *wid, const char *name, const char *description, ws_row *out)
{
    update_job j = { wid, name, description, out };
    memset(out, 0, sizeof *out);
    st_rc res = st_write(update_on, &j);
    if (res != ST_OK)
        ws_row_free(out);
    return res;
}

static st_rc delete_on(db *d, void *ctx)
{
    const char *wid = ctx;
    st_rc res = stamp_users_of_ws(d, wid, U_WORKSPACES);
    if (res == ST_OK)
        res = stamp_invitees_of_ws(d, wid);
    return res == ST_OK ? st_run(d, "DELETE FROM workspaces WHERE id = $1", ST_T(wid)) : res;
}

st_rc ws_delete(const char *wid)
{
    return st_write(delete_on, (void *)(uintptr_t)wid);
}
