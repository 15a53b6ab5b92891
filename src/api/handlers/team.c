/* team.c — a workspace's team and invitations sent (API.md §5.3, D6). */
#include "api/access.h"
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "http/response.h"
#include "store/invitations.h"
#include "store/members.h"
#include "util/ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MEMBER_NOT_FOUND "Team member not found"

void h_team_list(http_req *r)
{
    page pg;
    member_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (api_page(r, 0, &pg) != 0)
        return;
    st_rc st = member_list(req_param(r, 0), pg, &rows, &n, &total);
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        return;
    }
    jsonw w;
    jw_list(&w, "members");
    for (size_t i = 0; i < n; i++)
        write_member(&w, &rows[i]);
    member_rows_free(rows, n);
    resp_data_text(r, 200, jw_list_end(&w, total));
}


static void reply_invited(http_req *r, inv_outcome outcome, const invitation_row *inv)
{
    switch (outcome) {
    case INV_UNKNOWN_USER: resp_error(r, 404, "User not found with this email"); return;
    case INV_SELF: resp_error(r, 400, "Cannot invite yourself"); return;
    case INV_ALREADY_MEMBER: resp_error(r, 400, "User is already a member of this workspace"); return;
    case INV_ALREADY_PENDING: resp_error(r, 400, "Invitation already sent to this user"); return;
    case INV_CREATED: break;
    }
    resp_data(r, 201, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "id", inv->id,
                                "workspaceId", inv->workspace_id,
                                "workspaceName", inv->workspace_name,
                                "inviteeEmail", inv->invitee_email, "status", inv->status,
                                "role", inv->role, "createdAt", json_ts_offset(inv->created_at),
                                "message", "Invitation sent successfully"));
}

void h_team_invite(http_req *r)
{
    const char *wid = req_param(r, 0);
    json_t *body = NULL, *errs = json_object();
    char *email = NULL, *role = NULL;
    invitation_row inv = { 0 };
    inv_outcome outcome;
    if (!(body = val_body(r)))
        goto out;
    json_t *e = json_object_get(body, "email");
    if (!json_is_string(e) || !val_truthy(e)) {
        resp_error(r, 400, "Email is required");
        goto out;
    }
    if (val_decl_str(body, "Invite", "role", errs, &role) < 0) {
        resp_fields(r, json_incref(errs));
        goto out;
    }
    if (!(email = strdup(json_string_value(e)))) {
        resp_no_memory(r);          /* a NULL email would find no user: 404 */
        goto out;
    }
    st_rc st = invitation_create(wid, r->user->user.id, email, role ? role : "researcher",
                                 &outcome, &inv);
    if (st != ST_OK)
        api_store_error(r, st, NULL);
    else
        reply_invited(r, outcome, &inv);
out:
    invitation_row_free(&inv);
    free(email);
    free(role);
    json_decref(body);
    json_decref(errs);
}

/* The {userId} of team routes: a member, or 404 (also for non-UUIDs). */
static const char *target_user(http_req *r)
{
    return req_param(r, 1);
}

static void reply_member(http_req *r, st_rc st, member_row *m)
{
    if (st != ST_OK) {
        api_store_error(r, st, MSG_MEMBER_NOT_FOUND);
        return;
    }
    jsonw w;
    jw_init(&w);
    write_member(&w, m);
    resp_data_text(r, 200, jw_finish(&w));
    member_row_free(m);
}

void h_team_role(http_req *r)
{
    const char *wid = req_param(r, 0);
    json_t *body = NULL, *errs = json_object();
    char *role = NULL;
    member_row m;
    if (!(body = val_body(r)))
        goto out;
    if (val_decl_str(body, "RoleUpdate", "role", errs, &role) < 0) {
        resp_fields(r, json_incref(errs));
        goto out;
    }
    ws_role target;
    st_rc st = ws_access(wid, target_user(r), &target);
    if (st == ST_OK && target == ROLE_NONE)
        st = ST_NOT_FOUND;
    if (st == ST_OK && target == ROLE_OWNER) {
        resp_error(r, 400, "Cannot change owner role");
        goto out;
    }
    if (st == ST_OK)
        st = member_set_role(wid, target_user(r), role, &m);
    reply_member(r, st, &m);
out:
    free(role);
    json_decref(body);
    json_decref(errs);
}

void h_team_status(http_req *r)
{
    const char *wid = req_param(r, 0);
    json_t *body = NULL, *errs = json_object();
    char *status = NULL;
    member_row m;
    if (!(body = val_body(r)))
        goto out;
    if (val_decl_str(body, "StatusUpdate", "status", errs, &status) < 0) {
        resp_fields(r, json_incref(errs));
        goto out;
    }
    st_rc st = member_get(wid, target_user(r), &m);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_MEMBER_NOT_FOUND);
        goto out;
    }
    member_row_free(&m);
    if (strcmp(target_user(r), r->user->user.id) != 0) {
        resp_error(r, 403, "Can only update your own status");
        goto out;
    }
    reply_member(r, member_set_status(wid, target_user(r), status, &m), &m);
out:
    free(status);
    json_decref(body);
    json_decref(errs);
}

/* Leaving is allowed to every member, observers included (D6): the route
 * is RR_ADMIN_OR_SELF. */
void h_team_remove(http_req *r)
{
    const char *wid = req_param(r, 0);
    ws_role target;
    st_rc st = ws_access(wid, target_user(r), &target);
    if (st == ST_OK && target == ROLE_NONE)
        st = ST_NOT_FOUND;
    if (st == ST_OK && target == ROLE_OWNER) {
        resp_error(r, 400, "Cannot remove workspace owner");
        return;
    }
    if (st == ST_OK)
        st = member_remove(wid, target_user(r));
    api_reply_done(r, st, MSG_MEMBER_NOT_FOUND, "Team member removed successfully");
}
