/* access.c — see access.h. */
#include "api/access.h"

#include "api/api.h"
#include "api/validate.h"
#include "http/response.h"

#include <stdlib.h>
#include <string.h>

/* The role check after membership: observers are read-only on every
 * route above RR_MEMBER; RR_ADMIN and RR_OWNER answer the route's own
 * message (or "Access denied") below them. */
static int role_allows(http_req *r, ws_role role, route_role need, const char *denied)
{
    if (need == RR_USER || need == RR_MEMBER || need == RR_SELF)
        return 0;
    if (role == ROLE_OBSERVER) {
        resp_error(r, 403, MSG_READ_ONLY);
        return -1;
    }
    bool ok = need == RR_WRITER ||
              (need == RR_ADMIN && (role == ROLE_OWNER || role == ROLE_ADMIN)) ||
              (need == RR_OWNER && role == ROLE_OWNER);
    if (!ok)
        resp_error(r, 403, denied ? denied : MSG_ACCESS_DENIED);
    return ok ? 0 : -1;
}

static int member_of(http_req *r, const char *wid, ws_role *role)
{
    /* read with the user already (api_probe) */
    st_rc st = wid && r->user->wid[0] && strcmp(wid, r->user->wid) == 0
        ? (*role = r->user->role, ST_OK) : ws_access(wid, r->user->user.id, role);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_WS_NOT_FOUND);
        return -1;
    }
    if (*role == ROLE_NONE) {
        resp_error(r, 403, MSG_ACCESS_DENIED);
        return -1;
    }
    return 0;
}

int api_ws_allowed(http_req *r, const char *wid, route_role need, ws_role *role)
{
    if (member_of(r, wid, role) != 0)
        return -1;
    return role_allows(r, *role, need, NULL);
}

/* Loads the conversation or memory the path names (404 first). */
static int load_resource(http_req *r, api_scope *s)
{
    st_rc st = ST_OK;
    const char *msg = NULL;
    if (r->route->scope == RS_CONVERSATION) {
        st = conv_get(req_param(r, 0), (r->route->flags & ROUTE_CONV_FULL) != 0, &s->conv);
        s->has_conv = st == ST_OK;
        s->wid = s->has_conv ? s->conv.workspace_id : NULL;
        msg = MSG_CONV_NOT_FOUND;
    } else if (r->route->scope == RS_MEMORY) {
        st = memory_get(req_param(r, 0), &s->mem);
        s->has_mem = st == ST_OK;
        s->wid = s->has_mem ? s->mem.workspace_id : NULL;
        msg = MSG_MEM_NOT_FOUND;
    } else {
        s->wid = req_param(r, 0);
    }
    if (st != ST_OK)
        api_store_error(r, st, msg);
    return st == ST_OK ? 0 : -1;
}

/* RR_ADMIN_OR_SELF: a member acting on their own {userId} needs no more. */
static route_role effective_role(const http_req *r)
{
    route_role need = r->route->role;
    if (need == RR_ADMIN_OR_SELF)
        return strcmp(req_param(r, 1), r->user->user.id) == 0 ? RR_MEMBER : RR_ADMIN;
    return need;
}

int api_resolve_scope(http_req *r)
{
    if (!r->route || r->route->scope == RS_NONE)
        return 0;
    api_scope *s = calloc(1, sizeof *s);
    if (!s) {
        resp_error(r, 500, "Internal server error");
        return -1;
    }
    r->scope = s;
    if (load_resource(r, s) != 0 || member_of(r, s->wid, &s->role) != 0)
        return -1;
    return role_allows(r, s->role, effective_role(r), r->route->denied);
}

const api_scope *api_scope_of(const http_req *r)
{
    return r->scope;
}

void api_scope_take_conv(http_req *r, conv_row *out)
{
    *out = r->scope->conv;
    memset(&r->scope->conv, 0, sizeof r->scope->conv);
    r->scope->has_conv = false;
    r->scope->wid = out->workspace_id;      /* still valid: the caller owns it now */
}

void api_scope_take_memory(http_req *r, memory_row *out)
{
    *out = r->scope->mem;
    memset(&r->scope->mem, 0, sizeof r->scope->mem);
    r->scope->has_mem = false;
    r->scope->wid = out->workspace_id;
}

void api_scope_free(http_req *r)
{
    if (!r->scope)
        return;
    if (r->scope->has_conv)
        conv_row_free(&r->scope->conv);
    if (r->scope->has_mem)
        memory_row_free(&r->scope->mem);
    free(r->scope);
    r->scope = NULL;
}

const char *api_role_name(route_role role)
{
    switch (role) {
    case RR_MEMBER: return "member";
    case RR_WRITER: return "writer";
    case RR_ADMIN:
    case RR_ADMIN_OR_SELF: return "admin";
    case RR_OWNER: return "owner";
    case RR_SELF: return "self";
    case RR_USER: break;
    }
    return NULL;
}

/* One query parameter as a DRF IntegerField in [lo, hi]. */
static int query_int(http_req *r, const char *name, long long lo, long long hi,
                     json_t *errs, long long *out)
{
    const char *v = req_query(r, name);
    if (!v)
        return 0;
    json_t *holder = json_pack("{s:s}", name, v);     /* NULL if not UTF-8 */
    if (!holder) {
        val_error(errs, name, "A valid integer is required.");
        return -1;
    }
    int rc = val_int(holder, name, false, lo, hi, errs, out);
    json_decref(holder);
    return rc;
}

int api_page(http_req *r, int64_t dflt_limit, page *pg)
{
    json_t *errs = json_object();
    long long limit = dflt_limit, offset = 0;
    query_int(r, "limit", 1, 1000, errs, &limit);
    query_int(r, "offset", 0, 1000000000, errs, &offset);
    if (json_object_size(errs)) {
        resp_fields(r, errs);
        return -1;
    }
    json_decref(errs);
    pg->limit = limit;
    pg->offset = offset;
    return 0;
}
