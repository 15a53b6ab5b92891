/* invitations.c — the invitee's inbox (API.md §5.4). Only the invitee sees
 * an invitation; anyone else gets 404 as if it did not exist. */
#include "api/access.h"
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"

#include "http/response.h"
#include "store/invitations.h"

#define MSG_INV_NOT_FOUND "Invitation not found"

static json_t *invitation_item(const void *row)
{
    return invitation_json(row);
}

void h_invitations_list(http_req *r)
{
    page pg;
    invitation_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (api_page(r, 0, &pg) != 0)
        return;
    st_rc st = invitation_list_for(r->user->user.id, pg, &rows, &n, &total);
    api_reply_list(r, st, "invitations", rows, n, sizeof *rows, invitation_item, total);
    invitation_rows_free(rows, n);
}

void h_invitation_accept(http_req *r)
{
    invitation_row inv = { 0 };
    st_rc st = invitation_accept(req_param(r, 0), r->user->user.id, &inv);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_INV_NOT_FOUND);
        return;
    }
    resp_data(r, 200, json_pack("{s:s,s:s,s:s,s:s}", "message", "Invitation accepted",
                                "workspaceId", inv.workspace_id,
                                "workspaceName", inv.workspace_name, "role", inv.role));
    invitation_row_free(&inv);
}

void h_invitation_decline(http_req *r)
{
    st_rc st = invitation_decline(req_param(r, 0), r->user->user.id);
    api_reply_done(r, st, MSG_INV_NOT_FOUND, "Invitation declined");
}
