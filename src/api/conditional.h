/* conditional.h — conditional GETs decided before the handler runs. For the
 * GET routes the frontend polls, the ETag comes from change stamps
 * (store/stamps.h) read in the same statement as the token check: who is
 * asking, the route, its path and query, and the stamps of what the route
 * shows. A matching If-None-Match answers 304 without building the body.
 * Every other GET gets an ETag hashed from its body (http/server.c). */
#ifndef CHIMERA_API_CONDITIONAL_H
#define CHIMERA_API_CONDITIONAL_H

#include "http/request.h"
#include "http/router.h"

#include <stdbool.h>

/* What a route's answer depends on: stamp kinds of the scoped workspace
 * (WS_*) and of the caller (U_*), and whether it shows every workspace
 * the caller sees. */
typedef struct etag_rule {
    route_handler handler;
    unsigned ws, user;
    bool visible;
} etag_rule;

/* The rule of r's route, or NULL (then the ETag is the body's). */
const etag_rule *etag_rule_of(const route *rt);

/* All rules (unit tests check every one names a GET route). */
const etag_rule *etag_rules(size_t *n);

/* Authenticates r (as the dispatcher does: the same 401s and 429), checks
 * its scope's existence and membership (404, 403), sets r->etag and
 * answers 304 when If-None-Match matches. Returns 0 to go on to the
 * handler, -1 when r has been answered. */
int etag_check(http_req *r, const etag_rule *rule);

#endif
