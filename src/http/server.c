/* server.c — libmicrohttpd glue. The access handler follows MHD's two-step
 * pattern (keep-alive breaks otherwise, see docs/ARCHITECTURE.md): the first
 * call sets up the request and routes it, body chunks arrive on the next
 * calls, and the answer is queued on the last one. The completion callback
 * writes the request log line and frees the request. Connections are
 * admitted, timed and counted by http/conntrack.c through MHD's accept
 * policy and connection notifications. */
#include "http/server.h"

#include "api/api.h"
#include "config.h"
#include "db/db.h"
#include "http/conntrack.h"
#include "http/cors.h"
#include "http/forwarded.h"
#include "http/bodycache.h"
#include "http/gzip.h"
#include "http/headers.h"
#include "http/live.h"
#include "http/response.h"
#include "http/router.h"
#include "http/stats.h"
#include "http/static.h"
#include "util/fault.h"
#include "util/ids.h"
#include "util/isotime.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <time.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

/* X-Forwarded-For header lines looked at (the last ones: the walk starts
 * from the right). */
#define FWD_MAX_LINES 16

static struct MHD_Daemon *daemon_handle;
static unsigned server_connections(void);
static atomic_int deferred;         /* suspended requests not yet answered */

/* The answer when a request cannot get the memory to be answered: made at
 * start, shared (never changed after), so that sending it allocates nothing
 * of ours. A request that could not even get its state carries OOM_MARK. */
static struct MHD_Response *oom_response;
static char oom_mark;
#define OOM_MARK ((void *)&oom_mark)
#define OOM_BODY "{\"ok\":false,\"data\":null,\"error\":\"Server out of memory, try again\"}"

static struct MHD_Response *oom_response_new(void)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof OOM_BODY - 1, (void *)OOM_BODY, MHD_RESPMEM_PERSISTENT);
    if (resp && (MHD_add_response_header(resp, "Content-Type", "application/json") != MHD_YES ||
                 MHD_add_response_header(resp, "Retry-After", "1") != MHD_YES
#ifdef CHIMERA_FAULTS
                 || MHD_add_response_header(resp, "X-Chimera-Fault-Fired", "1") != MHD_YES
#endif
                 )) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    return resp;
}

static enum MHD_Result send_oom(struct MHD_Connection *conn)
{
    return MHD_queue_response(conn, 503, oom_response);
}

typedef struct fwd_lines {
    const char *v[FWD_MAX_LINES];
    size_t n;
} fwd_lines;

static enum MHD_Result collect_fwd(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    fwd_lines *l = cls;
    if (!key || !value || strcasecmp(key, "X-Forwarded-For") != 0)
        return MHD_YES;
    if (l->n == FWD_MAX_LINES) {
        memmove(l->v, l->v + 1, (FWD_MAX_LINES - 1) * sizeof l->v[0]);
        l->n--;
    }
    l->v[l->n++] = value;
    return MHD_YES;
}

/* The TCP peer, or behind trusted proxies the client they name
 * (http/forwarded.h): the key of the abuse limits and the log's "client". */
static void client_address(http_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    ip_addr peer, client;
    snprintf(r->client, sizeof r->client, "unknown");
    if (!ci || !ip_from_sockaddr(ci->client_addr, &peer))
        return;
    client = peer;
    if (cfg.trusted_proxies.n && cidr_list_match(&cfg.trusted_proxies, &peer)) {
        fwd_lines lines = { .n = 0 };
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_fwd, &lines);
        fwd_client(&cfg.trusted_proxies, &peer, lines.v, lines.n, &client);
    }
    ip_text(&client, r->client, sizeof r->client);
}

/* Request ids need uniqueness, not secrecy: a per-thread random seed run
 * through splitmix64 avoids a getrandom() system call per request. */
static void request_id(char out[REQ_ID_MAX])
{
    static _Thread_local uint64_t state;
    if (!state) {
        char seed[17];
        id_hex(seed, 16);
        state = strtoull(seed, NULL, 16) | 1;
    }
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    snprintf(out, REQ_ID_MAX, "%016llx", (unsigned long long)z);
}

static http_req *req_new(struct MHD_Connection *conn, const char *url, const char *method)
{
    http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->conn = conn;
    r->method = method;
    r->t0 = time_mono_us();
    r->path = strdup(url);
    if (!r->path) {
        free(r);
        return NULL;
    }
    size_t n = strlen(r->path);
    if (n > 1 && r->path[n - 1] == '/')
        r->path[n - 1] = '\0';          /* tolerate one trailing slash */
    r->body.max = cfg.max_body;
    const char *rid = req_header(r, "X-Request-Id");
    if (hdr_request_id_ok(rid, REQ_ID_MAX))
        snprintf(r->rid, sizeof r->rid, "%s", rid);
    else
        request_id(r->rid);
    client_address(r);
    db_work_begin();
    http_stats_request_begin();
    return r;
}

static void req_free(http_req *r, bool complete)
{
    if (r->live)
        http_live_detach(r->live, complete);
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    api_request_done(r);
    buf_free(&r->body);
    json_decref(r->data);
    json_decref(r->error);
    json_decref(r->fail_data);
    free(r->raw);
    free(r->data_text);
    free(r->disposition);
    gzip_stream_free(r->gz);
    bc_release(r->cached);
    if (r->stream_free && r->stream_cls)
        r->stream_free(r->stream_cls);
    free(r->path);
    free(r);
}

/* The request's log line into b; 0, or -1 when it does not fit. */
static int request_line(buf *b, const http_req *r, const char *method, unsigned sql)
{
    char ts[ISOTIME_MAX];
    time_iso_z(time_now_us(), ts);
    int rc = buf_printf(b, "{\"ts\":\"%s\",\"level\":\"info\",\"rid\":\"%s\",\"client\":\"%s\","
                           "\"method\":\"", ts, r->rid, r->client);
    rc |= buf_json_str(b, method);
    rc |= buf_puts(b, "\",\"route\":");
    rc |= r->pattern ? buf_printf(b, "\"%s\"", r->pattern) : buf_puts(b, "null");
    rc |= buf_printf(b, ",\"status\":%d,\"us\":%lld", r->status,
                     (long long)(time_mono_us() - r->t0));
    if (cfg.log_debug)
        rc |= buf_printf(b, ",\"sql\":%u", sql);
    return rc | buf_putc(b, '}');
}

static void log_request(const http_req *r, unsigned sql)
{
    if (!cfg.log_requests)
        return;
    /* On the stack and never grown (see log_msg): a line is whole or not
     * written; a method too long for it is logged by its first 64 bytes. */
    char line[4096], cut[65];
    buf b = { line, 0, sizeof line, sizeof line - 1 };
    line[0] = '\0';
    if (request_line(&b, r, r->method, sql) != 0) {
        snprintf(cut, sizeof cut, "%s", r->method);
        b.len = 0;
        if (request_line(&b, r, cut, sql) != 0)
            return;
    }
    log_raw_line(b.p, b.len);
}

/* Builds the MHD response for what the handler left in r. */
/* MHD's content reader for streamed bodies (gzip-compressed on the way
 * when the client accepts it). The request outlives the response. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    http_req *r = cls;
    long n = r->gz ? gzip_stream_read(r->gz, out, max)
                   : r->stream_fill(r->stream_cls, out, max);
    if (n == RESP_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* 0 bytes would make MHD poll again: deflate may hold output back */
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : (ssize_t)n;
}

#ifdef CHIMERA_FAULTS
/* The test build tells the fault driver whether the armed fault fired. */
static void fault_header(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Chimera-Fault-Fired", fault_fired() ? "1" : "0");
}
#else
#define fault_header(resp) ((void)(resp))
#endif

static struct MHD_Response *build_stream(http_req *r)
{
    if (gzip_accepted(req_header(r, "Accept-Encoding")))
        r->gz = gzip_stream_new(r->stream_fill, r->stream_cls);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, r, NULL);
    if (!resp)
        return NULL;
    if (r->gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (r->disposition)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    cors_headers(r, resp, 0);
    fault_header(resp);
    return resp;
}

/* A GET of the API answered 200 gets an ETag: the one decided before the
 * handler (api/conditional.c), or else its body's, with who asked; when
 * If-None-Match names it, the answer becomes 304 with no body. */
static bool conditional_get(const http_req *r)
{
    return r->route && r->status == 200 && strcmp(r->method, "GET") == 0;
}

static void body_etag(http_req *r, const char *body, size_t len)
{
    etag_hash h;
    etag_begin(&h);
    etag_add_str(&h, CHIMERA_VERSION);
    etag_add_str(&h, r->user ? r->user->user.id : NULL);
    etag_add(&h, body, len);
    etag_end(&h, r->etag);
    if (etag_matches(req_header(r, "If-None-Match"), r->etag)) {
        r->status = 304;
        r->not_modified = true;
    }
}

static void etag_headers(const http_req *r, struct MHD_Response *resp)
{
    if (!r->etag[0])
        return;
    MHD_add_response_header(resp, "ETag", r->etag);
    MHD_add_response_header(resp, "Cache-Control", "private, no-cache");
}

static struct MHD_Response *not_modified(http_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return NULL;
    etag_headers(r, resp);
    cors_headers(r, resp, 0);
    return resp;
}

static void release_entry(void *cls)
{
    bc_release(cls);
}

/* An answer kept under its ETag, sent from the cache's memory (the
 * response holds the request's reference until MHD is done with it). */
static struct MHD_Response *cached_response(http_req *r)
{
    size_t len = 0;
    const char *body = NULL;
    bool gz = false;
    bc_body(r->cached, &len);
    if (len >= GZIP_MIN_SIZE && gzip_accepted(req_header(r, "Accept-Encoding")))
        gz = (body = bc_gzip(r->cached, &len)) != NULL;
    if (!gz)
        body = bc_body(r->cached, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        len, (void *)(uintptr_t)body, release_entry, r->cached);
    if (!resp)
        return NULL;
    r->cached = NULL;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    etag_headers(r, resp);
    cors_headers(r, resp, 0);
    return resp;
}

static struct MHD_Response *build_response(http_req *r, int preflight)
{
    char *body = NULL;
    size_t len = 0;
    if (r->live && !preflight)
        return http_live_response(r);
    if (r->not_modified && !preflight)
        return not_modified(r);
    if (r->cached && !preflight)
        return cached_response(r);
    if (r->stream_fill && !preflight)
        return build_stream(r);
    if (preflight) {
        body = strdup("");
    } else if (r->raw) {
        body = r->raw;
        len = r->raw_len;
        r->raw = NULL;
    } else if (resp_render(r, &body, &len) != 0) {
        return NULL;            /* out of memory: the static 503 */
    }
    if (!body)
        return NULL;
    if (!preflight && conditional_get(r)) {
        if (!r->etag[0])
            body_etag(r, body, len);
        if (r->not_modified) {
            free(body);
            return not_modified(r);
        }
        if (r->etag_stamped && (r->cached = bc_store(r->etag, body, len)) != NULL)
            return cached_response(r);
    }
    bool gz = false;
    if (len >= GZIP_MIN_SIZE && gzip_accepted(req_header(r, "Accept-Encoding"))) {
        char *z;
        size_t zlen;
        if (gzip_compress(body, len, &z, &zlen) == 0) {
            free(body);
            body = z;
            len = zlen;
            gz = true;
        }
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return NULL;
    }
    if (!preflight)
        MHD_add_response_header(resp, "Content-Type",
                                r->content_type ? r->content_type : "application/json");
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    if (!preflight && conditional_get(r))
        etag_headers(r, resp);
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    cors_headers(r, resp, preflight);
    fault_header(resp);
    return resp;
}

static enum MHD_Result send_response(http_req *r, int preflight)
{
    /* a static file, or NULL with its JSON error left in r */
    struct MHD_Response *resp = r->static_file && !r->responded ? static_response(r) : NULL;
    if (!resp)
        resp = build_response(r, preflight);
    if (!resp) {
        r->status = 503;
        return send_oom(r->conn);
    }
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void route_request(http_req *r)
{
    const route *rt;
    size_t n;
    const route *table = api_routes(&n);
    switch (router_match(table, n, r, &rt)) {
    case ROUTE_FOUND:
        r->route = rt;
        r->pattern = rt->pattern;
        for (int i = 0; i < r->nparams; i++)
            if (!r->params[i]) {        /* out of memory copying it: not a 404 */
                resp_error(r, 500, "Internal server error");
                break;
            }
        break;
    case ROUTE_NO_METHOD:
        r->pattern = rt->pattern;
        resp_errorf(r, 405, "Method \"%s\" not allowed.", r->method);
        break;
    case ROUTE_NO_PATH:
        if (!static_claim(r))
            resp_error(r, 404, "Not found");
        break;
    }
}

static bool content_length_too_large(const http_req *r)
{
    const char *cl = req_header(r, "Content-Length");
    if (!cl)
        return false;
    char *end;
    unsigned long long v = strtoull(cl, &end, 10);
    return *end != '\0' || v > r->body.max;
}

/* The answer to a body past its limit; uploads say so in the words of
 * API.md §8.3. */
static void body_too_large(http_req *r)
{
    if (r->body_lost)
        resp_error(r, 500, "Internal server error");
    else if (r->route && (r->route->flags & ROUTE_UPLOAD))
        resp_error(r, 400, "File too large. Maximum size is 10MB");
    else
        resp_error(r, 413, "Request body too large");
}

static ct_conn *conn_tracked(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
    (void)cls;
    (void)len;
    ip_addr peer;
    return !ip_from_sockaddr(sa, &peer) || ct_admit(&peer) ? MHD_YES : MHD_NO;
}

/* Called by MHD before it closes the socket (checked in 0.9.75's
 * MHD_cleanup_connections): once ct_close returns, nobody uses the fd. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        ct_close(*socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ca =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    ip_addr peer;
    if (fd && ca && ip_from_sockaddr(ca->client_addr, &peer))
        *socket_context = ct_open(&peer, fd->connect_fd);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    http_req *r = *con_cls;
    if (r == OOM_MARK) {            /* answered; its body is dropped */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r) {
        if (!ct_headers_done(conn_tracked(conn)))
            return MHD_NO;          /* the reaper got there first */
#ifdef CHIMERA_FAULTS
        /* Every request (re)arms before its first allocation: the driver
         * sends one at a time, and one without the header runs fault-free. */
        unsigned long armed = fault_arm(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                    "X-Chimera-Fault"));
#endif
        r = req_new(conn, url, method);
        if (!r) {
            *con_cls = OOM_MARK;
            return send_oom(conn);
        }
        *con_cls = r;
#ifdef CHIMERA_FAULTS
        r->fault_armed = armed;
#endif
        if (strcmp(method, "OPTIONS") != 0)
            route_request(r);
        if (r->route && (r->route->flags & ROUTE_UPLOAD))
            r->body.max = HTTP_UPLOAD_MAX + HTTP_UPLOAD_SLACK;
        if (content_length_too_large(r)) {
            /* Answer at once and let MHD close: the body is never read. */
            r->too_large = true;
            body_too_large(r);
            return send_response(r, 0);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* A chunked body past the limit is dropped as it arrives and
         * answered at its end (MHD queues no answer mid-body); one that
         * goes on past twice the limit is cut off. */
        if (r->too_large) {
            r->discarded += *upload_size;
            if (r->discarded > 2 * r->body.max)
                return MHD_NO;
        } else if (buf_append(&r->body, upload, *upload_size) != 0) {
            /* past the limit, or out of memory: the rest is dropped either way */
            r->body_lost = !r->body.max || r->body.len + *upload_size <= r->body.max;
            r->too_large = true;
            buf_free(&r->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "OPTIONS") == 0) {
        r->status = 200;
        return send_response(r, 1);
    }
    if (r->defer_finish) {          /* resumed after deferred work */
        void (*finish)(http_req *) = r->defer_finish;
        r->defer_finish = NULL;
        finish(r);                  /* may defer again (a retry) */
    } else if (r->too_large) {
        body_too_large(r);
    } else if (r->static_file) {
        return send_response(r, 0);     /* answered by http/static.c */
    } else if (!r->responded) {
        api_handle(r);
    }
    if (r->defer_start && !r->responded) {
        void (*start)(http_req *) = r->defer_start;
        r->defer_start = NULL;
        if (!r->deferred) {         /* counted until its answer is sent */
            r->deferred = true;
            atomic_fetch_add(&deferred, 1);
        }
        /* Suspend first: the work may finish (and resume) at once. */
        MHD_suspend_connection(conn);
        start(r);
        return MHD_YES;
    }
    if (!r->responded)
        resp_error(r, 500, "Internal server error");
    if (r->live && !r->deferred) {  /* a live body: drained like deferred work */
        r->deferred = true;
        atomic_fetch_add(&deferred, 1);
    }
    return send_response(r, 0);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    http_req *r = *con_cls;
    ct_idle(conn_tracked(conn));    /* the next request's headers are due */
    *con_cls = NULL;
    if (!r || r == OOM_MARK)
        return;
#ifdef CHIMERA_FAULTS
    fault_disarm(r->fault_armed);   /* one that did not fire must not hit the next request */
#endif
    if (r->deferred)
        atomic_fetch_sub(&deferred, 1);
    size_t nroutes;
    const route *table = api_routes(&nroutes);
    http_stats_request_end(r->route ? (int)(r->route - table) : -1, r->status,
                           time_mono_us() - r->t0);
    log_request(r, db_take_count());
    req_free(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

/* Every connection is a descriptor: a soft limit below what the
 * connection limit needs is raised to the hard one. */
static void raise_nofile(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        log_warn("open-file limit %llu is below the %llu that CHIMERA_MAX_CONNECTIONS needs",
                 (unsigned long long)rl.rlim_max, (unsigned long long)need);
}

int server_start(void)
{
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    memset(&sa4, 0, sizeof sa4);
    memset(&sa6, 0, sizeof sa6);
    if (inet_pton(AF_INET, cfg.listen, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)cfg.port);
        sa = (struct sockaddr *)&sa4;
    } else if (inet_pton(AF_INET6, cfg.listen, &sa6.sin6_addr) == 1) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)cfg.port);
        sa = (struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    } else {
        log_error("CHIMERA_LISTEN is not an IP address: %s", cfg.listen);
        return -1;
    }
    size_t nroutes;
    api_routes(&nroutes);
    if (http_stats_init(nroutes) != 0)
        return -1;
    http_stats_connections_from(server_connections);
    bc_configure(cfg.body_cache);
    if (!oom_response && !(oom_response = oom_response_new()))
        return -1;
    unsigned limit = ct_hard_limit((unsigned)cfg.max_connections);
    if (ct_init((unsigned)cfg.max_connections, (unsigned)cfg.header_timeout_s * 1000u,
                &cfg.trusted_proxies, true) != 0) {
        log_error("cannot start the connection tracker");
        return -1;
    }
    if (http_live_init(cfg.stream_keepalive_ms) != 0) {
        log_error("cannot start the keep-alive thread of live responses");
        return -1;
    }
    /* database connections, the listener, logs, outbound requests */
    raise_nofile((rlim_t)limit + 64 + 4 * (rlim_t)cfg.threads);
    daemon_handle = MHD_start_daemon(
        flags, (uint16_t)cfg.port, on_accept, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg.conn_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg.conn_memory,
        MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_END);
    if (!daemon_handle) {
        http_live_shutdown();
        ct_shutdown();
        log_error("cannot listen on %s:%d", cfg.listen, cfg.port);
        return -1;
    }
    return 0;
}

static unsigned server_connections(void)
{
    const union MHD_DaemonInfo *info =
        daemon_handle ? MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)
                      : NULL;
    return info ? info->num_connections : 0;
}

void server_quiesce(void)
{
    if (daemon_handle)
        MHD_quiesce_daemon(daemon_handle);
}

void server_drain(long timeout_s)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    for (long waited = 0; atomic_load(&deferred) > 0 && waited < timeout_s * 100; waited++)
        nanosleep(&pause, NULL);
}

void server_stop(void)
{
    if (!daemon_handle)
        return;
    MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
    MHD_destroy_response(oom_response);
    oom_response = NULL;
    http_live_shutdown();           /* after the last live was detached */
    ct_shutdown();                  /* after the last CLOSED notification */
}
