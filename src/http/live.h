/* live.h — a response body produced while it is being sent (server-sent
 * events of streamed chat replies), without a worker thread waiting for
 * it: when the producer has nothing yet, the connection is suspended
 * (MHD_suspend_connection) and the worker serves other connections; the
 * producer, on any thread, wakes it with http_live_wake. During a long
 * silence an SSE comment (": keep-alive") goes out every keep-alive
 * interval; a client that hangs up meanwhile is noticed within a second
 * (its socket is polled) and the response ends (ops.closed, not complete).
 *
 * Ownership: a live has two references, the request's (dropped by the
 * server when the response is over, after ops.closed) and the producer's
 * (http_live_release). ops.free(cls) runs when the last one goes. */
#ifndef CHIMERA_HTTP_LIVE_H
#define CHIMERA_HTTP_LIVE_H

#include "http/request.h"

#include <stdbool.h>
#include <stddef.h>

struct MHD_Response;

typedef struct http_live_ops {
    /* Connection's thread: bytes written into buf (at most max), 0 when
     * nothing is ready yet, RESP_STREAM_END or RESP_STREAM_ERROR. */
    long (*fill)(void *cls, char *buf, size_t max);
    /* Connection's thread, once: the response is over, sent whole
     * (complete) or not (the client went away, the server stopped). */
    void (*closed)(void *cls, bool complete);
    void (*free)(void *cls);
} http_live_ops;

typedef struct http_live http_live;

/* Starts the keep-alive thread: suspended lives silent for keepalive_ms
 * are woken to send a comment. Returns 0 or -1. */
int http_live_init(long keepalive_ms);
void http_live_shutdown(void);

/* Makes r's answer a 200 live body of content_type (static string).
 * Returns the producer's reference, or NULL (r answered 500; ops.free has
 * been called). */
http_live *http_live_answer(http_req *r, const char *content_type, const http_live_ops *ops,
                            void *cls);

/* Any thread: something is ready (or the body has ended). */
void http_live_wake(http_live *l);
/* One more producer reference (a transfer in flight), and its end. */
void http_live_retain(http_live *l);
void http_live_release(http_live *l);

/* server.c only: the MHD response for r->live, and the end of the
 * request's reference (the request is being freed). */
struct MHD_Response *http_live_response(http_req *r);
void http_live_detach(http_live *l, bool complete);

#endif
