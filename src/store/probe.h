/* probe.h — the one statement a polled GET costs before its answer is
 * decided (api/conditional.c): the caller, whether their access token is
 * revoked, the workspace the path names and their role there, and the
 * change stamps (store/stamps.h). */
#ifndef CHIMERA_STORE_PROBE_H
#define CHIMERA_STORE_PROBE_H

#include "store/stamps.h"
#include "store/store.h"
#include "store/users.h"
#include "store/workspaces.h"

#include <stdbool.h>
#include <stdint.h>

/* Where a probed route points: its {param} names a workspace, a
 * conversation or a memory, or nothing. */
typedef enum stamp_scope {
    SS_NONE,
    SS_WORKSPACE,
    SS_CONVERSATION,
    SS_MEMORY,
} stamp_scope;

typedef struct stamp_probe {
    user_row user;
    bool revoked;               /* the access token or its login session is revoked */
    bool found;                 /* the scoped workspace/conversation/memory exists */
    char wid[48];               /* its workspace */
    ws_role role;               /* the user's role there (ROLE_NONE: not a member) */
    int64_t user_stamps[U_KINDS];
    int64_t ws_stamps[WS_KINDS];
    int64_t visible_sum;        /* every stamp of every workspace the user sees, summed */
} stamp_probe;

/* One statement: the user (ST_NOT_FOUND without one), whether the token
 * jti or its login session sid (NULL or "" for tokens without one) is
 * revoked, the scoped resource's workspace and the user's role there, and
 * the stamps. visible: also sum the stamps of every visible workspace.
 * Free out->user with user_row_free() after ST_OK. */
st_rc stamp_probe_read(const char *uid, const char *jti, const char *sid, stamp_scope scope,
                       const char *param, bool visible, stamp_probe *out);

#endif
