/* cors.h — CORS (API.md §1.10) and the security headers every response
 * carries. Origins come from config (reflect-any in development mode). */
#ifndef CHIMERA_HTTP_CORS_H
#define CHIMERA_HTTP_CORS_H

#include "http/request.h"

struct MHD_Response;

/* Adds Access-Control-* (when the origin is allowed), security headers and
 * X-Request-Id. preflight adds the Allow-Methods/Headers/Max-Age set. */
void cors_headers(const http_req *r, struct MHD_Response *resp, int preflight);

#endif
