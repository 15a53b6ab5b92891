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

typedef struct query_walk {
    void (*fn)(void *cls, const char *key, const char *value);
    void *cls;
} query_walk;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    const query_walk *w = cls;
    w->fn(w->cls, key, value);
    return MHD_YES;
}

void req_each_query(const http_req *r, void (*fn)(void *cls, const char *key, const char *value),
                    void *cls)
{
    query_walk w = { fn, cls };
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_arg, &w);
}

void http_resume(http_req *r)
{
    MHD_resume_connection(r->conn);
}

const char *req_param(const http_req *r, int i)
{
    return i >= 0 && i < r->nparams ? r->params[i] : "";
}
