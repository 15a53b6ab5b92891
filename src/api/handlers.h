/* handlers.h — the prototype of every route handler, generated from the
 * route declarations (routes.def): adding a route there declares its
 * handler here. */
#ifndef CHIMERA_API_HANDLERS_H
#define CHIMERA_API_HANDLERS_H

#include "http/request.h"

#define ROUTE(method, pattern, handler, ...) void handler(http_req *r);
#include "api/routes.def"
#undef ROUTE

#endif
