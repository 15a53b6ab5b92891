/* access.h — who may call a workspace-scoped route, enforced by the
 * dispatcher from the route's declaration (routes.def) before the handler
 * runs, in the order of API.md §1.4: the addressed resource (404), then
 * membership (403 "Access denied"), then the role (observers read-only;
 * the route's own message below admin or owner). The handler finds what
 * was resolved in api_scope_of(r). Also the optional paging parameters of
 * D13. */
#ifndef CHIMERA_API_ACCESS_H
#define CHIMERA_API_ACCESS_H

#include "http/request.h"
#include "http/router.h"
#include "store/conversations.h"
#include "store/memories.h"
#include "store/workspaces.h"

#include <stdbool.h>

#define MSG_ACCESS_DENIED "Access denied"
#define MSG_READ_ONLY "Observers have read-only access"
#define MSG_WS_NOT_FOUND "Workspace not found"
#define MSG_CONV_NOT_FOUND "Conversation not found"
#define MSG_MEM_NOT_FOUND "Memory not found"

/* What the dispatcher resolved for the route's scope (owned by the
 * request, freed with it). */
struct api_scope {
    const char *wid;            /* the workspace: {wid}, or the conversation's or memory's */
    ws_role role;               /* the caller's role in it */
    bool has_conv, has_mem;
    conv_row conv;              /* RS_CONVERSATION ({cid}; full with ROUTE_CONV_FULL) */
    memory_row mem;             /* RS_MEMORY ({memId}) */
};

/* Resolves r's route scope and checks the caller's role; answers and
 * returns -1 when the caller may not go on. Routes without a scope pass. */
int api_resolve_scope(http_req *r);

/* The resolved scope of r (never NULL for a scoped route's handler). */
const api_scope *api_scope_of(const http_req *r);

/* Moves the resolved conversation / memory out to the caller (who frees
 * it), for handlers that keep it past their own return (deferred work). */
void api_scope_take_conv(http_req *r, conv_row *out);
void api_scope_take_memory(http_req *r, memory_row *out);

/* Frees r's scope (api_request_done). */
void api_scope_free(http_req *r);

/* The same check for a workspace named elsewhere than in the path (a body
 * field: search, MCP): sets *role, or answers 404/403 and returns -1. */
int api_ws_allowed(http_req *r, const char *wid, route_role need, ws_role *role);

/* "member", "writer", "admin", "owner", "self" (OpenAPI x-min-role), or
 * NULL for routes without a workspace role. */
const char *api_role_name(route_role role);

/* Reads optional ?limit (1..1000) and ?offset (>= 0). limit 0 = all. Answers
 * 400 with field errors and returns -1 when they are not integers in range.
 * dflt_limit applies when limit is absent. */
int api_page(http_req *r, int64_t dflt_limit, page *pg);

#endif
