/* request.h — one HTTP request while it is being served: what arrived
 * (method, path, body, path parameters) and what will be answered (status,
 * data or error). Owned by http/server.c; handlers read and fill it through
 * the functions here and in response.h. Everything it points to dies with
 * the request. */
#ifndef CHIMERA_HTTP_REQUEST_H
#define CHIMERA_HTTP_REQUEST_H

#include "http/etag.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct MHD_Connection;
struct route;

#define REQ_MAX_PARAMS 4
#define REQ_ID_MAX 65

typedef struct auth_user auth_user;     /* defined by the api layer */
typedef struct api_scope api_scope;     /* defined by the api layer */

typedef struct http_req {
    struct MHD_Connection *conn;
    const char *method;             /* as received ("GET", …) */
    char *path;                     /* decoded path, one trailing slash removed */
    buf body;
    bool too_large;                 /* body passed body.max (the route's limit) */
    bool body_lost;                 /* or could not be stored (out of memory) */
    size_t discarded;               /* bytes dropped after that */
    const struct route *route;      /* matched route, NULL if none */
    const char *pattern;            /* route pattern for the log (also on 405) */
    char *params[REQ_MAX_PARAMS];   /* path parameters, in pattern order */
    int nparams;
    char rid[REQ_ID_MAX];           /* request id (X-Request-Id) */
    char client[64];                /* client address, for abuse limits */
    int64_t t0;                     /* monotonic start, microseconds */
    auth_user *user;                /* set by authentication */
    api_scope *scope;               /* set by the dispatcher for workspace-scoped routes */

    /* The answer. */
    int status;
    json_t *data;                   /* success payload (owned) */
    char *data_text;                /* or the payload already serialised (owned) */
    json_t *error;                  /* string or field-error object (owned) */
    json_t *fail_data;              /* `data` on failure (send-message), owned */
    char *raw;                      /* non-enveloped body (metrics, OpenAPI), owned */
    size_t raw_len;
    char *disposition;              /* Content-Disposition of a streamed body (export) */
    const char *content_type;       /* of a raw body (static); NULL = JSON */
    int retry_after;                /* seconds, for 429 */
    /* A streamed, non-enveloped body (export): fill(cls, buf, max) returns
     * bytes written, RESP_STREAM_END or RESP_STREAM_ERROR. */
    long (*stream_fill)(void *cls, char *buf, size_t max);
    void (*stream_free)(void *cls);
    void *stream_cls;
    struct gzip_stream *gz;         /* compressing the stream, when accepted */
    struct http_live *live;         /* a body produced while sent (http/live.h) */
    bool responded;
    /* Conditional GETs: the answer's ETag when decided before the handler
     * (api/conditional.c; else server.c hashes the body), and whether the
     * answer is 304 Not Modified. */
    char etag[ETAG_MAX];
    bool etag_stamped;              /* etag from change stamps: the answer may be kept */
    bool not_modified;
    struct bc_entry *cached;        /* the answer, kept under etag (http/bodycache.h) */
    bool static_file;               /* a GET/HEAD for http/static.c to answer */

    /* Deferred work (slow outbound calls): a handler that sets defer_start
     * has not answered yet. The server suspends the connection, then calls
     * defer_start(r), which hands the work to another thread; when that
     * work ends, it calls http_resume(r) from any thread, and the server
     * calls defer_finish(r) on a worker thread, which must answer. */
    void (*defer_start)(struct http_req *r);
    void (*defer_finish)(struct http_req *r);
    void *defer_ctx;
    bool deferred;                  /* was suspended (counted for draining) */
#ifdef CHIMERA_FAULTS
    unsigned long fault_armed;      /* its X-Chimera-Fault ends with it */
#endif
} http_req;

/* Wakes a suspended request (any thread); see defer_start above. */
void http_resume(http_req *r);

/* Request header or query argument, NULL when absent. */
const char *req_header(const http_req *r, const char *name);
const char *req_query(const http_req *r, const char *name);

/* Calls fn for each query argument, in the order received (value NULL
 * for a bare key). */
void req_each_query(const http_req *r, void (*fn)(void *cls, const char *key, const char *value),
                    void *cls);

/* The i-th path parameter ("{wid}" …). */
const char *req_param(const http_req *r, int i);

#endif
