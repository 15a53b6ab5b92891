/* authn.c — who is asking: the Bearer JWT, the user behind it (one
 * indexed read, store/probe.c), and the per-user request ceiling; see
 * api.h. */
#include "api/api.h"

#include "api/limits.h"
#include "http/headers.h"
#include "http/response.h"
#include "store/probe.h"
#include "util/isotime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_INVALID_MSG "Given token not valid for any token type"

/* Splits "Bearer <token>"; answers 401 and returns NULL when malformed. */
static const char *bearer_token(http_req *r)
{
    const char *tok;
    switch (hdr_bearer(req_header(r, "Authorization"), &tok)) {
    case HDR_BEARER_OK:
        return tok;
    case HDR_BEARER_MISSING:
        resp_error(r, 401, "Authentication credentials were not provided.");
        return NULL;
    case HDR_BEARER_MALFORMED:
        break;
    }
    resp_error(r, 401, "Authorization header must contain two space-delimited values");
    return NULL;
}

int api_verify_token(http_req *r)
{
    const char *tok = bearer_token(r);
    if (!tok)
        return -1;
    auth_user *au = calloc(1, sizeof *au);
    if (!au) {
        resp_no_memory(r);
        return -1;
    }
    r->user = au;
    tok_rc rc = token_verify(tok, time_now_us() / 1000000, &au->claims);
    if (rc == TOK_NO_MEMORY) {
        resp_no_memory(r);
        return -1;
    }
    if (rc != TOK_OK || au->claims.type != TOK_ACCESS) {
        resp_error(r, 401, TOKEN_INVALID_MSG);
        return -1;
    }
    return 0;
}

int api_accept_user(http_req *r, st_rc rc, bool revoked)
{
    if (rc == ST_NOT_FOUND) {
        resp_error(r, 401, "User not found");
        return -1;
    }
    if (rc != ST_OK) {
        resp_error(r, 500, "Internal server error");
        return -1;
    }
    if (revoked) {
        resp_error(r, 401, TOKEN_INVALID_MSG);
        return -1;
    }
    if (!r->user->user.is_active) {
        resp_error(r, 401, "User is inactive");
        return -1;
    }
    return 0;
}

static stamp_scope scope_of(route_scope s)
{
    switch (s) {
    case RS_WORKSPACE: return SS_WORKSPACE;
    case RS_CONVERSATION: return SS_CONVERSATION;
    case RS_MEMORY: return SS_MEMORY;
    case RS_NONE: break;
    }
    return SS_NONE;
}

st_rc api_probe(http_req *r, bool visible, stamp_probe *p)
{
    auth_user *au = r->user;
    stamp_scope scope = r->route ? scope_of(r->route->scope) : SS_NONE;
    st_rc rc = stamp_probe_read(au->claims.user_id, au->claims.jti, au->claims.sid, scope,
                                r->nparams ? r->params[0] : NULL, visible, p);
    au->user = p->user;     /* the request owns it now (zeroed on failure) */
    memset(&p->user, 0, sizeof p->user);
    if (rc == ST_OK && p->found) {
        snprintf(au->wid, sizeof au->wid, "%s", p->wid);
        au->role = p->role;
    }
    return rc;
}

int api_authenticate(http_req *r)
{
    if (api_verify_token(r) != 0)
        return -1;
    stamp_probe p;
    st_rc rc = api_probe(r, false, &p);
    return api_accept_user(r, rc, p.revoked);
}

int api_user_ceiling(http_req *r)
{
    int wait = limit_user_request(r->user->user.id);
    if (wait) {
        resp_throttled(r, wait);
        return -1;
    }
    return 0;
}
