/* invitations.c — see invitations.h. */
#include "store/invitations.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/ids.h"
#include "util/isotime.h"

#define INV_COLS \
    "i.id, i.workspace_id, w.name, iu.name, iu.email, eu.email, i.role, i.status, i.created_at"
#define INV_FROM \
    " FROM invitations i JOIN workspaces w ON w.id = i.workspace_id" \
    " JOIN users iu ON iu.id = i.inviter_id JOIN users eu ON eu.id = i.invitee_id"

void invitation_row_free(invitation_row *r)
{
    free(r->workspace_name);
    free(r->inviter_name);
    free(r->inviter_email);
    free(r->invitee_email);
    memset(r, 0, sizeof *r);
}

void invitation_rows_free(invitation_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        invitation_row_free(&rows[i]);
    free(rows);
}

static void read_invitation(db_stmt *st, invitation_row *r)
{
    memset(r, 0, sizeof *r);
    COL_COPY(r->id, st, 0);
    COL_COPY(r->workspace_id, st, 1);
    r->workspace_name = col_dup_str(st, 2);
    r->inviter_name = col_dup_str(st, 3);
    r->inviter_email = col_dup_str(st, 4);
    r->invitee_email = col_dup_str(st, 5);
    COL_COPY(r->role, st, 6);
    COL_COPY(r->status, st, 7);
    r->created_at = db_col_int(st, 8);
}

static st_rc get_invitation(db *d, const char *id, invitation_row *out)
{
    db_stmt *st = db_prepare(d, "SELECT " INV_COLS INV_FROM " WHERE i.id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_invitation(st, out);
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

/* The invitee and what stands in the way: membership or an invitation. */
static st_rc invitee_state(db *d, const char *wid, const char *email, char *uid, size_t uidsz,
                           int *member, char *inv_status, size_t stsz)
{
    db_stmt *st = db_prepare(d,
        "SELECT u.id, (SELECT COUNT(*) FROM team_members t WHERE t.workspace_id = $2"
        " AND t.user_id = u.id) + (SELECT COUNT(*) FROM workspaces w WHERE w.id = $2"
        " AND w.owner_id = u.id), (SELECT i.status FROM invitations i"
        " WHERE i.workspace_id = $2 AND i.invitee_id = u.id) FROM users u WHERE u.email = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, email);
    db_bind_text(st, 2, wid);
    db_rc rc = db_step(st);
    if (rc == DB_ROW) {
        snprintf(uid, uidsz, "%s", db_col_text(st, 0));
        *member = db_col_int(st, 1) > 0;
        const char *s = db_col_text(st, 2);
        snprintf(inv_status, stsz, "%s", s ? s : "");
    }
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

static st_rc insert_invitation(db *d, const char *id, const char *wid, const char *inviter,
                               const char *invitee, const char *role)
{
    db_stmt *st = db_prepare(d, "DELETE FROM invitations WHERE workspace_id = $1"
                                " AND invitee_id = $2 AND status <> 'pending'");
    if (st) {
        db_bind_text(st, 1, wid);
        db_bind_text(st, 2, invitee);
    }
    st_rc res = st_exec(st);
    if (res != ST_OK)
        return res;
    st = db_prepare(d, "INSERT INTO invitations (id, workspace_id, inviter_id, invitee_id, role,"
                       " status, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, wid);
    db_bind_text(st, 3, inviter);
    db_bind_text(st, 4, invitee);
    db_bind_text(st, 5, role);
    db_bind_int(st, 6, time_now_us());
    return st_exec(st);
}

st_rc invitation_create(const char *wid, const char *inviter_id, const char *email,
                        const char *role, inv_outcome *outcome, invitation_row *out)
{
    db *d = db_writer();
    char uid[40], status[16], id[ID_MAX];
    int member = 0;
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = invitee_state(d, wid, email, uid, sizeof uid, &member, status, sizeof status);
    *outcome = INV_CREATED;
    if (res == ST_NOT_FOUND) {
        *outcome = INV_UNKNOWN_USER;
        res = ST_OK;
    } else if (res == ST_OK) {
        *outcome = strcmp(uid, inviter_id) == 0 ? INV_SELF
                 : member ? INV_ALREADY_MEMBER
                 : strcmp(status, "pending") == 0 ? INV_ALREADY_PENDING : INV_CREATED;
    }
    if (res == ST_OK && *outcome == INV_CREATED) {
        id_prefixed("inv", id, sizeof id);
        res = insert_invitation(d, id, wid, inviter_id, uid, role);
        if (res == ST_CONFLICT) {       /* a concurrent invite won the race */
            *outcome = INV_ALREADY_PENDING;
            res = ST_OK;
        }
    }
    if (res != ST_OK || *outcome != INV_CREATED) {
        db_rollback(d);
        return res;
    }
    if (db_commit(d) != 0)
        return ST_DB_ERROR;
    return get_invitation(db_thread(), id, out);
}

st_rc invitation_list_for(const char *user_id, page pg, invitation_row **out, size_t *n,
                          int64_t *total)
{
    *out = NULL;
    *n = 0;
    db_stmt *st = db_prepare(db_thread(), "SELECT " INV_COLS INV_FROM
                             " WHERE i.invitee_id = $1 AND i.status = 'pending'"
                             " ORDER BY i.created_at DESC, i.id LIMIT $2 OFFSET $3");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, user_id);
    db_bind_int(st, 2, pg.limit > 0 ? pg.limit : INT64_MAX);
    db_bind_int(st, 3, pg.offset);
    db_rc rc;
    size_t cap = 0;
    invitation_row *rows = NULL;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            invitation_row *p = realloc(rows, cap * sizeof *p);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            rows = p;
        }
        read_invitation(st, &rows[(*n)++]);
    }
    db_reset(st);
    if (rc != DB_DONE) {
        invitation_rows_free(rows, *n);
        *n = 0;
        return ST_DB_ERROR;
    }
    *out = rows;
    *total = (int64_t)*n;
    if (pg.limit > 0 || pg.offset > 0)
        return st_count("SELECT COUNT(*) FROM invitations WHERE invitee_id = $1"
                        " AND status = 'pending'", user_id, total);
    return ST_OK;
}

/* Flips pending → accepted for the invitee; 0 changed rows = not found
 * (also when a concurrent accept got there first). */
static st_rc mark_accepted(db *d, const char *inv_id, const char *user_id, int64_t now)
{
    db_stmt *st = db_prepare(d, "UPDATE invitations SET status = 'accepted', responded_at = $3"
                                " WHERE id = $1 AND invitee_id = $2 AND status = 'pending'");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, inv_id);
    db_bind_text(st, 2, user_id);
    db_bind_int(st, 3, now);
    return st_exec_changed(st);
}

st_rc invitation_accept(const char *inv_id, const char *user_id, invitation_row *out)
{
    db *d = db_writer();
    int64_t now = time_now_us();
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = mark_accepted(d, inv_id, user_id, now);
    if (res == ST_OK)
        res = get_invitation(d, inv_id, out);
    if (res == ST_OK) {
        /* an existing member keeps the row it has (insert does nothing) */
        res = member_insert(d, out->workspace_id, user_id, out->role, "online", now, NULL, 0);
    }
    if (res != ST_OK) {
        if (out->workspace_name)
            invitation_row_free(out);
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}

st_rc invitation_decline(const char *inv_id, const char *user_id)
{
    db_stmt *st = db_prepare(db_thread(), "DELETE FROM invitations WHERE id = $1"
                                          " AND invitee_id = $2 AND status = 'pending'");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, inv_id);
    db_bind_text(st, 2, user_id);
    return st_exec_changed(st);
}
