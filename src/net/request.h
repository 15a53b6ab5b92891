/* request.h — an outbound HTTP request and what came back: the currency of
 * the net layer. The chat providers (llm/), the remote embedder and
 * import-url build requests with the helpers here; net/outbound.c sends
 * them without holding the caller's thread, net/fetch.c sends one blocking.
 * Every string of a request is owned by it, except the static ones marked. */
#ifndef CHIMERA_NET_REQUEST_H
#define CHIMERA_NET_REQUEST_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

/* net_request.flags */
enum {
    NET_REQ_FOLLOW = 1 << 0,        /* follow up to 5 redirects (http/https only) */
    NET_REQ_PUBLIC_ONLY = 1 << 1,   /* connect to public addresses only (D10) */
};

typedef struct net_request {
    char *url;
    char **headers;             /* "Name: value", NULL-terminated */
    char *body;                 /* NULL for GET */
    long timeout_s;             /* 0: 60 s */
    unsigned flags;             /* NET_REQ_* */
    const char *user_agent;     /* static; NULL = chimerad/<version> */
    size_t max_body;            /* answer cap; 0 = the sender's */
    char *const *allow_addrs;   /* NET_REQ_PUBLIC_ONLY exceptions: addresses as text
                                   (NULL-terminated, static) */
    const char *target;         /* static label for the metrics: a provider's name,
                                   "embeddings" or "import"; NULL = "other" */
    /* Streaming (chat replies). With on_data set, a 2xx answer is handed to
     * on_data(data_ctx, piece, n) as it arrives, on the sender's thread,
     * instead of being collected (the result's body is then empty; the
     * body cap counts the bytes streamed); other answers are collected as
     * usual. on_data returns 0, or -1 to abort.
     * cancel, when set, is checked while the transfer runs (outbound.c:
     * whenever the engine wakes): non-zero aborts it as cancelled. */
    int (*on_data)(void *data_ctx, const char *p, size_t n);
    void *data_ctx;
    const atomic_int *cancel;
    long idle_timeout_s;        /* > 0: abort after this long without a byte */
} net_request;

/* Frees what r holds (not r) and zeroes it; idempotent. */
void net_request_free(net_request *r);

/* Building: each returns 0, or -1 (then r has been freed). net_req_init
 * sets the URL to base followed by path. */
int net_req_init(net_request *r, const char *base, const char *path, long timeout_s);
int net_req_header(net_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int net_req_json(net_request *r, json_t *body);     /* steals body */
/* Appends s to the URL, percent-encoded (all but RFC 3986 unreserved) if
 * escape is set. */
int net_req_url_add(net_request *r, const char *s, int escape);

/* 1 when key is non-empty and safe inside a header or query (no controls). */
int net_key_ok(const char *key);

/* Values of net_result.transport_failed: no HTTP answer at all. */
#define NET_FAILED      1   /* any other failure (body cap, protocol, shutdown) */
#define NET_UNREACHABLE 2   /* DNS, connect, TLS, connection reset or closed */

typedef struct net_result {
    long status;                /* HTTP status, 0 on transport failure */
    char *body;                 /* NUL-terminated, never NULL; owned by the sender */
    size_t len;
    int timed_out;
    int transport_failed;       /* 0, NET_FAILED or NET_UNREACHABLE */
    int too_large;              /* body passed the cap */
    int blocked;                /* NET_REQ_PUBLIC_ONLY refused an address */
    int cancelled;              /* net_request.cancel was set, or on_data said stop */
    char content_type[128];     /* Content-Type of the answer ("" if none) */
    char error[256];            /* curl's error text on failure */
} net_result;

/* Called once per request with its outcome: on the engine thread for
 * outbound_submit (must not block), on the caller's for net_fetch. */
typedef void (*net_done)(void *ctx, const net_result *res);

/* Fills res for a transfer that never ran: status 0, empty body (static),
 * NET_FAILED, error why. */
void net_result_failed(net_result *res, const char *why);

#endif
