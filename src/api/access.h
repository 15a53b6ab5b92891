/* access.h — the checks every workspace-scoped handler starts with, in the
 * order of API.md §1.4: lookup (404) → membership/role (403). And the
 * optional paging parameters of D13. */
#ifndef CHIMERA_API_ACCESS_H
#define CHIMERA_API_ACCESS_H

#include "http/request.h"
#include "store/workspaces.h"

#include <stdbool.h>

#define MSG_ACCESS_DENIED "Access denied"
#define MSG_READ_ONLY "Observers have read-only access"
#define MSG_WS_NOT_FOUND "Workspace not found"

/* Sets *role to the caller's role in wid; answers 404 (unknown workspace)
 * or 403 (not a member) and returns -1 when the caller may not even read. */
int api_ws_member(http_req *r, const char *wid, ws_role *role);

/* As api_ws_member, and also refuses observers (D6: read-only). */
int api_ws_writer(http_req *r, const char *wid, ws_role *role);

/* Reads optional ?limit (1..1000) and ?offset (>= 0). limit 0 = all. Answers
 * 400 with field errors and returns -1 when they are not integers in range.
 * dflt_limit applies when limit is absent. */
int api_page(http_req *r, int64_t dflt_limit, page *pg);

#endif
