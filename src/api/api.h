/* api.h — what the HTTP layer needs from the API layer: the route table,
 * the request entry point, and per-request cleanup. */
#ifndef CHIMERA_API_API_H
#define CHIMERA_API_API_H

#include "auth/token.h"
#include "http/request.h"
#include "http/router.h"
#include "store/users.h"

#include <stddef.h>

/* The authenticated caller of a request (owned by the request). */
struct auth_user {
    user_row user;
    tok_claims claims;
};

/* The one route table (src/api/routes.c). */
const route *api_routes(size_t *n);

/* Authenticates (unless the route is public), applies the per-user request
 * ceiling, and runs the route's handler. */
void api_handle(http_req *r);

/* Frees what the API layer attached to r. */
void api_request_done(http_req *r);

/* Maps a store failure to the generic answer (500 for DB errors). */
void api_store_error(http_req *r, int st, const char *not_found_msg);

/* After a store call that answers {"message": message}: that (200), or
 * api_store_error's answer for a failure. */
void api_reply_done(http_req *r, int st, const char *not_found_msg, const char *message);

#endif
