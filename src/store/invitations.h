/* invitations.h — pending invitations to a workspace (API.md §5.3, §5.4,
 * with the invited role of D6). */
#ifndef CHIMERA_STORE_INVITATIONS_H
#define CHIMERA_STORE_INVITATIONS_H

#include "store/workspaces.h"

typedef struct invitation_row {
    char id[40];
    char workspace_id[40];
    char *workspace_name;
    char *inviter_name;
    char *inviter_email;
    char *invitee_email;
    char role[16];
    char status[16];
    int64_t created_at;
} invitation_row;

typedef enum inv_outcome {
    INV_CREATED,
    INV_UNKNOWN_USER,       /* no user with this email */
    INV_SELF,
    INV_ALREADY_MEMBER,
    INV_ALREADY_PENDING,
} inv_outcome;

void invitation_row_free(invitation_row *r);
void invitation_rows_free(invitation_row *rows, size_t n);

/* Invites the user with exactly this email, in one transaction. A stale
 * accepted invitation of a former member is replaced. *outcome says why
 * nothing was created; out is filled only for INV_CREATED. */
st_rc invitation_create(const char *wid, const char *inviter_id, const char *email,
                        const char *role, inv_outcome *outcome, invitation_row *out);

/* Pending invitations addressed to user_id, newest first. */
st_rc invitation_list_for(const char *user_id, page pg, invitation_row **out, size_t *n,
                          int64_t *total);

/* Accepts a pending invitation addressed to user_id: marks it accepted and
 * grants its role (a member already keeps the row it has). ST_NOT_FOUND
 * when there is no such pending invitation. out gets the workspace. */
st_rc invitation_accept(const char *inv_id, const char *user_id, invitation_row *out);

/* Deletes a pending invitation addressed to user_id. */
st_rc invitation_decline(const char *inv_id, const char *user_id);

#endif
