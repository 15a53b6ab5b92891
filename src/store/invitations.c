/* invitations.c — see invitations.h. */
#include "store/invitations.h"

#include "store/internal.h"
#include "store/stamps.h"
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
    ST_FREE_ROWS(rows, n, invitation_row_free);
}

static bool read_invitation(db_stmt *st, void *row)
{
    invitation_row *r = row;
    memset(r, 0, sizeof *r);
    COL_COPY(r->id, st, 0);
    COL_COPY(r->workspace_id, st, 1);
    COL_COPY(r->role, st, 6);
    COL_COPY(r->status, st, 7);
    r->created_at = db_col_int(st, 8);
    if (col_dup_str(st, 2, &r->workspace_name) && col_dup_str(st, 3, &r->inviter_name) &&
        col_dup_str(st, 4, &r->inviter_email) && col_dup_str(st, 5, &r->invitee_email))
        return true;
    invitation_row_free(r);
    return false;
}

static st_rc get_invitation(db *d, const char *id, invitation_row *out)
{
    return st_one(st_prep(d, "SELECT " INV_COLS INV_FROM " WHERE i.id = $1", ST_T(id)),
                  read_invitation, out);
}

/* The invitee and what stands in the way: membership or an invitation. */
typedef struct invitee {
    char uid[40];
    int member;
    char status[16];            /* of an invitation to the workspace, or "" */
} invitee;

static bool read_invitee(db_stmt *st, void *row)
{
    invitee *v = row;
    COL_COPY(v->uid, st, 0);
    v->member = db_col_int(st, 1) > 0;
    COL_COPY(v->status, st, 2);
    return true;
}

typedef struct invite_job {
    const char *wid, *inviter_id, *email, *role;
    inv_outcome outcome;        /* out */
    char id[ID_MAX];            /* out: the new invitation */
} invite_job;

static inv_outcome outcome_for(const invite_job *j, const invitee *v)
{
    return strcmp(v->uid, j->inviter_id) == 0 ? INV_SELF
         : v->member ? INV_ALREADY_MEMBER
         : strcmp(v->status, "pending") == 0 ? INV_ALREADY_PENDING : INV_CREATED;
}

static st_rc insert_invitation(db *d, const invite_job *j, const char *invitee_id)
{
    st_rc res = st_run(d, "DELETE FROM invitations WHERE workspace_id = $1"
                          " AND invitee_id = $2 AND status <> 'pending'",
                       ST_T(j->wid), ST_T(invitee_id));
    if (res == ST_OK)
        res = st_run(d, "INSERT INTO invitations (id, workspace_id, inviter_id, invitee_id,"
                        " role, status, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
                     ST_T(j->id), ST_T(j->wid), ST_T(j->inviter_id), ST_T(invitee_id),
                     ST_T(j->role), ST_I(time_now_us()));
    return res;
}

/* Any outcome but INV_CREATED leaves nothing behind (ST_UNDONE). */
static st_rc invite_on(db *d, void *ctx)
{
    invite_job *j = ctx;
    invitee v = { "", 0, "" };
    st_rc res = st_one(st_prep(d,
        "SELECT u.id, (SELECT COUNT(*) FROM team_members t WHERE t.workspace_id = $2"
        " AND t.user_id = u.id) + (SELECT COUNT(*) FROM workspaces w WHERE w.id = $2"
        " AND w.owner_id = u.id), (SELECT i.status FROM invitations i"
        " WHERE i.workspace_id = $2 AND i.invitee_id = u.id) FROM users u WHERE u.email = $1",
        ST_T(j->email), ST_T(j->wid)), read_invitee, &v);
    if (res == ST_NOT_FOUND) {
        j->outcome = INV_UNKNOWN_USER;
        return ST_UNDONE;
    }
    if (res != ST_OK)
        return res;
    j->outcome = outcome_for(j, &v);
    if (j->outcome != INV_CREATED)
        return ST_UNDONE;
    id_prefixed("inv", j->id, sizeof j->id);
    res = insert_invitation(d, j, v.uid);
    if (res == ST_OK)
        res = stamp_user(d, v.uid, U_INVITATIONS);
    if (res == ST_CONFLICT) {       /* a concurrent invite won the race */
        j->outcome = INV_ALREADY_PENDING;
        return ST_UNDONE;
    }
    return res;
}

st_rc invitation_create(const char *wid, const char *inviter_id, const char *email,
                        const char *role, inv_outcome *outcome, invitation_row *out)
{
    invite_job j = { wid, inviter_id, email, role, INV_CREATED, "" };
    st_rc res = st_write(invite_on, &j);
    *outcome = j.outcome;
    if (res != ST_OK || j.outcome != INV_CREATED)
        return res;
    return get_invitation(db_thread(), j.id, out);
}

st_rc invitation_list_for(const char *user_id, page pg, invitation_row **out, size_t *n,
                          int64_t *total)
{
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st_prep(db_thread(), "SELECT " INV_COLS INV_FROM
                                " WHERE i.invitee_id = $1 AND i.status = 'pending'"
                                " ORDER BY i.created_at DESC, i.id LIMIT $2 OFFSET $3",
                                ST_T(user_id), ST_PAGE(pg)), sizeof **out, read_invitation, out, n);
    if (res == ST_OK)
        res = st_total("SELECT COUNT(*) FROM invitations WHERE invitee_id = $1"
                       " AND status = 'pending'", user_id, pg, *n, total);
    if (res != ST_OK)
        ST_DROP_ROWS(invitation_rows_free, out, n);
    return res;
}

typedef struct accept_job {
    const char *inv_id, *user_id;
    invitation_row *out;
} accept_job;

/* Flips pending → accepted for the invitee (0 changed rows = not found,
 * also when a concurrent accept got there first) and adds the membership;
 * an existing member keeps the row it has (the insert does nothing). */
static st_rc accept_on(db *d, void *ctx)
{
    const accept_job *j = ctx;
    int64_t now = time_now_us();
    st_rc res = st_change(d, "UPDATE invitations SET status = 'accepted', responded_at = $3"
                             " WHERE id = $1 AND invitee_id = $2 AND status = 'pending'",
                          ST_T(j->inv_id), ST_T(j->user_id), ST_I(now));
    if (res == ST_OK)
        res = get_invitation(d, j->inv_id, j->out);
    if (res == ST_OK)
        res = member_insert(d, j->out->workspace_id, j->user_id, j->out->role, "online", now,
                            NULL, 0);
    if (res == ST_OK)
        res = stamp_user(d, j->user_id, U_INVITATIONS | U_WORKSPACES);
    return res;
}

st_rc invitation_accept(const char *inv_id, const char *user_id, invitation_row *out)
{
    accept_job j = { inv_id, user_id, out };
    memset(out, 0, sizeof *out);
    st_rc res = st_write(accept_on, &j);
    if (res != ST_OK)
        invitation_row_free(out);
    return res;
}

st_rc invitation_decline(const char *inv_id, const char *user_id)
{
    return st_write_change(USER_STAMPS(user_id, U_INVITATIONS), "DELETE FROM invitations WHERE id = $1"
                           " AND invitee_id = $2 AND status = 'pending'",
                           ST_T(inv_id), ST_T(user_id));
}
