/* request.c — what a handler reads from the request it serves (headers,
 * query arguments, path parameters) and the wake-up of a suspended one.
 * Kept apart from server.c so the API layer depends on the request, not on
 * the server that runs it. */
#include "http/request.h"

#include <microhttpd.h>

const char *req_header(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_query(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_resume(http_req *r)
{
    MHD_resume_connection(r->conn);
}

const char *req_param(const http_req *r, int i)
{
    return i >= 0 && i < r->nparams ? r->params[i] : "";
}
