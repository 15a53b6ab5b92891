/* routes.c — the route table, built from the declarations in routes.def.
 * The router dispatches from it, the OpenAPI document is generated from it,
 * and the authorization-matrix tests walk it: a route that is not there
 * does not exist. */
#include "api/api.h"
#include "api/handlers.h"

static const route routes[] = {
#define ROUTE(method, pattern, handler, flags, scope, role, denied, request, response) \
    { #method, pattern, handler, flags, scope, role, denied, request, response },
#include "api/routes.def"
#undef ROUTE
};

const route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
