/* dispatch.c — the path from a routed request to its handler:
 * authentication (Bearer JWT + one indexed read), the per-user request
 * ceiling, then the handler. Public routes ignore Authorization entirely. */
#include "api/access.h"
#include "api/api.h"

#include "config.h"
#include "api/limits.h"
#include "http/response.h"
#include "store/store.h"
#include "util/isotime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_INVALID_MSG "Given token not valid for any token type"

/* Splits "Bearer <token>"; answers 401 and returns NULL when malformed. */
static const char *bearer_token(http_req *r)
{
    const char *h = req_header(r, "Authorization");
    size_t n = h ? strcspn(h, " ") : 0;
    if (!h || n != 6 || strncasecmp(h, "Bearer", 6) != 0) {
        resp_error(r, 401, "Authentication credentials were not provided.");
        return NULL;
    }
    const char *tok = h + 7;
    if (h[6] != ' ' || *tok == '\0' || strchr(tok, ' ')) {
        resp_error(r, 401, "Authorization header must contain two space-delimited values");
        return NULL;
    }
    return tok;
}

static int authenticate(http_req *r)
{
    const char *tok = bearer_token(r);
    if (!tok)
        return -1;
    auth_user *au = calloc(1, sizeof *au);
    if (!au) {
        resp_error(r, 500, "Internal server error");
        return -1;
    }
    r->user = au;
    if (token_verify(tok, time_now_us() / 1000000, &au->claims) != TOK_OK ||
        au->claims.type != TOK_ACCESS) {
        resp_error(r, 401, TOKEN_INVALID_MSG);
        return -1;
    }
    bool revoked = false;
    st_rc rc = user_for_token(au->claims.user_id, au->claims.jti, au->claims.sid, &au->user,
                              &revoked);
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
    if (!au->user.is_active) {
        resp_error(r, 401, "User is inactive");
        return -1;
    }
    return 0;
}

static int user_ceiling(http_req *r)
{
    int wait = limit_user_request(r->user->user.id);
    if (wait) {
        resp_throttled(r, wait);
        return -1;
    }
    return 0;
}

void api_handle(http_req *r)
{
    if (!r->route)
        return;
    if (!(r->route->flags & ROUTE_PUBLIC) && (authenticate(r) != 0 || user_ceiling(r) != 0))
        return;
    if (api_resolve_scope(r) != 0)
        return;
    r->route->handler(r);
}

void api_request_done(http_req *r)
{
    api_scope_free(r);
    if (r->user) {
        user_row_free(&r->user->user);
        free(r->user);
        r->user = NULL;
    }
}
