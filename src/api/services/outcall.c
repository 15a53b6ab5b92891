/* outcall.c — see outcall.h. The engine's callback only copies the result
 * and wakes the connection; everything else runs on a worker thread. */
#include "api/services/outcall.h"

#include "net/outbound.h"

#include <stdlib.h>
#include <string.h>

typedef struct outcall {
    net_request *req;           /* until submitted */
    api_fetch_then then;
    void *ctx;
    http_req *r;
    net_result res;             /* the outcome; res.body is `body` or static */
    char *body;                 /* owned copy of the answer */
} outcall;

/* Engine thread: keep the result, wake the connection. */
static void outcall_done(void *ctx, const net_result *res)
{
    outcall *c = ctx;
    c->res = *res;
    if ((c->body = malloc(res->len + 1))) {
        memcpy(c->body, res->body, res->len);
        c->body[res->len] = '\0';
        c->res.body = c->body;
    } else {
        net_result_failed(&c->res, "Out of memory");
    }
    http_resume(c->r);
}

/* Worker, the connection suspended: submit (or fail at once). */
static void outcall_start(http_req *r)
{
    outcall *c = r->defer_ctx;
    net_request *req = c->req;
    c->req = NULL;
    if (outbound_submit(req, outcall_done, c) != 0) {
        net_request_free(req);
        free(req);
        net_result_failed(&c->res, "Server shutting down");
        http_resume(r);
    }
}

/* Worker, resumed: then may answer or call api_fetch again. */
static void outcall_finish(http_req *r)
{
    outcall *c = r->defer_ctx;
    r->defer_ctx = NULL;
    c->then(r, &c->res, c->ctx);
    free(c->body);
    free(c);
}

void api_fetch(http_req *r, net_request *req, api_fetch_then then, void *ctx)
{
    outcall *c = calloc(1, sizeof *c);
    if (!c) {
        net_result res;
        net_request_free(req);
        free(req);
        net_result_failed(&res, "Out of memory");
        then(r, &res, ctx);
        return;
    }
    c->req = req;
    c->then = then;
    c->ctx = ctx;
    c->r = r;
    r->defer_ctx = c;
    r->defer_start = outcall_start;
    r->defer_finish = outcall_finish;
}
