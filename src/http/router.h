/* router.h — the route type and the matcher. The table itself lives in
 * src/api/routes.c (one source for dispatch, the OpenAPI document and the
 * authorization-matrix test); this file only knows how to match it. */
#ifndef CHIMERA_HTTP_ROUTER_H
#define CHIMERA_HTTP_ROUTER_H

#include "http/request.h"

#include <stddef.h>

typedef void (*route_handler)(http_req *r);

/* A file upload's limit (API.md D10: 10 MiB) plus room for the multipart
 * framing and the other form fields. */
#define HTTP_UPLOAD_MAX ((size_t)10 << 20)
#define HTTP_UPLOAD_SLACK ((size_t)64 << 10)

enum route_flags {
    ROUTE_PUBLIC = 1 << 0,      /* no token needed; Authorization ignored */
    ROUTE_UPLOAD = 1 << 1,      /* a file upload: body up to HTTP_UPLOAD_MAX */
    ROUTE_CONV_FULL = 1 << 2,   /* RS_CONVERSATION: with its messages and injections */
};

/* What a route's path names, resolved by the API's dispatcher before the
 * handler runs (the router only carries the declaration). */
typedef enum route_scope {
    RS_NONE,                    /* per-user or public */
    RS_WORKSPACE,               /* {wid} */
    RS_CONVERSATION,            /* {cid}: the conversation, then its workspace */
    RS_MEMORY,                  /* {memId}: the memory, then its workspace */
} route_scope;

/* The least role a caller needs in the scope's workspace. */
typedef enum route_role {
    RR_USER,                    /* not workspace-scoped: any caller the flags admit */
    RR_MEMBER,                  /* any member, observers included (reads) */
    RR_WRITER,                  /* members except observers */
    RR_ADMIN,                   /* writers who are the owner or an admin */
    RR_OWNER,                   /* the owner */
    RR_SELF,                    /* any member; the handler allows their own {userId} row only */
    RR_ADMIN_OR_SELF,           /* RR_ADMIN, or any member acting on their own {userId} */
} route_role;

typedef struct route {
    const char *method;         /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern;        /* "/api/workspaces/{wid}/team/{userId}" */
    route_handler handler;
    unsigned flags;
    route_scope scope;
    route_role role;
    const char *denied;         /* 403 message below RR_ADMIN / RR_OWNER */
    const char *request;        /* request shape name, "-" if none */
    const char *response;       /* response shape name */
} route;

typedef enum route_match {
    ROUTE_FOUND,
    ROUTE_NO_PATH,              /* 404 */
    ROUTE_NO_METHOD,            /* 405: the path exists for another method */
} route_match;

/* Matches method + path against table. On ROUTE_FOUND sets *out and copies
 * the path parameters into r->params (freed with the request). On
 * ROUTE_NO_METHOD *out is the first route with that path (for the log),
 * else NULL. HEAD matches GET routes. */
route_match router_match(const route *table, size_t n, http_req *r, const route **out);

/* True if path matches pattern (no captures): used by tests and tools. */
int router_path_matches(const char *pattern, const char *path);

#endif
