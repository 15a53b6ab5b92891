/* dispatch.c — the path from a routed request to its handler:
 * authentication and the per-user request ceiling (authn.c) — for a polled
 * GET together with its ETag (conditional.c) —, the route's scope and role
 * (access.c), then the handler. Public routes ignore Authorization. */
#include "api/access.h"
#include "api/api.h"
#include "api/conditional.h"

#include <stdlib.h>

void api_handle(http_req *r)
{
    if (!r->route)
        return;
    const etag_rule *rule = etag_rule_of(r->route);
    if (rule) {
        if (etag_check(r, rule) != 0)
            return;
    } else if (!(r->route->flags & ROUTE_PUBLIC) &&
               (api_authenticate(r) != 0 || api_user_ceiling(r) != 0)) {
        return;
    }
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
