/* cors.c — CORS and security headers; see cors.h. */
#include "http/cors.h"

#include "config.h"

#include <microhttpd.h>

void cors_headers(const http_req *r, struct MHD_Response *resp, int preflight)
{
    const char *origin = req_header(r, "Origin");
    if (origin && config_origin_allowed(origin)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
        if (preflight) {
            MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                    "DELETE, GET, OPTIONS, PATCH, POST, PUT");
            MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                    "accept, accept-encoding, authorization, content-type, dnt, "
                                    "origin, user-agent, x-csrftoken, x-requested-with, x-request-id");
            MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
        }
    }
    MHD_add_response_header(resp, "Vary", "Origin");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "X-Request-Id", r->rid);
}
