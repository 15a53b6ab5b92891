/* api.h — what the HTTP layer needs from the API layer: the route table,
 * the request entry point, and per-request cleanup. */
#ifndef CHIMERA_API_API_H
#define CHIMERA_API_API_H

#include "auth/token.h"
#include "http/request.h"
#include "http/router.h"
#include "store/users.h"
#include "store/workspaces.h"

#include <stdbool.h>

#include <stddef.h>

/* The authenticated caller of a request (owned by the request). */
struct auth_user {
    user_row user;
    tok_claims claims;
    /* The workspace the path names ({wid}, or the {cid}'s / {memId}'s), read
     * in the same statement as the user: wid is "" when there was none or
     * it does not exist; role is the caller's there (api/access.c uses it
     * instead of asking again). */
    char wid[48];
    ws_role role;
};

/* The one route table (src/api/routes.c). */
const route *api_routes(size_t *n);

/* Authenticates (unless the route is public), applies the per-user request
 * ceiling, and runs the route's handler. */
void api_handle(http_req *r);

/* Authentication (api/authn.c) in steps, for api/conditional.c, which
 * reads the user together with the change stamps: api_verify_token checks
 * the Bearer token and attaches r->user with its claims; api_accept_user
 * answers the 401s of an unknown (ST_NOT_FOUND), revoked or inactive user,
 * or 500 for other store failures; api_user_ceiling answers 429. Each
 * returns 0 to go on, -1 when r has been answered. */
int api_verify_token(http_req *r);
/* After api_verify_token: the one statement of store/probe.h for r's route
 * (its scope and first path parameter; visible: the stamps of every
 * workspace the caller sees), the user and the scoped workspace moved into
 * r->user. The probe's status; p keeps the stamps. */
struct stamp_probe;
st_rc api_probe(http_req *r, bool visible, struct stamp_probe *p);
/* The three for a route whose ETag is not decided first. */
int api_authenticate(http_req *r);
int api_accept_user(http_req *r, st_rc rc, bool revoked);
int api_user_ceiling(http_req *r);

/* Frees what the API layer attached to r. */
void api_request_done(http_req *r);

/* Maps a store failure to the generic answer (500 for DB errors). */
void api_store_error(http_req *r, int st, const char *not_found_msg);

/* After a store call that answers {"message": message}: that (200), or
 * api_store_error's answer for a failure. */
void api_reply_done(http_req *r, int st, const char *not_found_msg, const char *message);

#endif
