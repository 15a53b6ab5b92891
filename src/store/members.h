/* members.h — a workspace's team (API.md §5.3). */
#ifndef CHIMERA_STORE_MEMBERS_H
#define CHIMERA_STORE_MEMBERS_H

#include "store/workspaces.h"

/* Members in joinedAt order; *total counts all of them. */
st_rc member_list(const char *wid, page pg, member_row **out, size_t *n, int64_t *total);
void member_rows_free(member_row *rows, size_t n);

/* ST_NOT_FOUND when user_id is not a member of wid. */
st_rc member_get(const char *wid, const char *user_id, member_row *out);
st_rc member_set_role(const char *wid, const char *user_id, const char *role, member_row *out);
st_rc member_set_status(const char *wid, const char *user_id, const char *status,
                        member_row *out);

/* Removes the membership and the user's invitations to wid, in one
 * transaction. ST_NOT_FOUND when not a member. */
st_rc member_remove(const char *wid, const char *user_id);

#endif
