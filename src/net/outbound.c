/* outbound.c — the outbound engine (see outbound.h): one thread, one libcurl
 * multi handle, every slow outbound HTTP call of the server. Other threads
 * only touch the submission queue (under ob.mu) and wake the engine with
 * curl_multi_wakeup(). The engine owns every job from submission to the
 * return of its callback, and frees the result body afterwards. Upstream
 * URLs may carry keys (Google): they are never logged here. */
#include "net/outbound.h"

#include "util/buf.h"
#include "util/netaddr.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

#define OB_DEFAULT_MAX_BODY ((size_t)5 << 20)
#define OB_DEFAULT_TIMEOUT_S 60L
#define OB_POLL_MS 1000

typedef struct ob_job {
    struct ob_job *next, *prev;     /* queue (next only) or active list */
    net_request *req;               /* owned (heap) */
    net_done done;
    void *ctx;
    CURL *easy;
    struct curl_slist *headers;
    buf body;
    int too_large;
    int out_of_memory;
    char blocked[64];               /* the refused address, NET_REQ_PUBLIC_ONLY */
    char errbuf[CURL_ERROR_SIZE];
} ob_job;

static struct {
    pthread_mutex_t mu;             /* guards everything up to `thread` */
    int accepting;                  /* submissions allowed */
    int stopping;                   /* outbound_stop called */
    struct timespec deadline;       /* end of the grace period */
    ob_job *queue, *queue_tail;     /* submitted, not yet handed to curl */
    size_t in_flight;
    CURLM *multi;
    pthread_t thread;
    /* engine thread only: */
    ob_job *active;
    size_t max_body;
} ob = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* ---- jobs ---------------------------------------------------------------- */

static size_t ob_write(char *data, size_t size, size_t nmemb, void *userp)
{
    ob_job *j = userp;
    size_t n = size * nmemb;
    size_t max = j->req->max_body ? j->req->max_body : ob.max_body;
    if (j->body.len + n > max || j->body.len + n < j->body.len) {
        j->too_large = 1;
        return 0;                   /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (buf_append(&j->body, data, n) != 0) {
        j->out_of_memory = 1;
        return 0;
    }
    return n;
}

static void ob_job_free(ob_job *j)
{
    if (!j)
        return;
    if (j->easy)
        curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->headers);
    net_request_free(j->req);
    free(j->req);
    buf_free(&j->body);
    free(j);
}

static int ob_set_protocols(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500     /* 7.85.0 */
    return curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
#else
    long p = CURLPROTO_HTTP | CURLPROTO_HTTPS;
    return curl_easy_setopt(e, CURLOPT_PROTOCOLS, p) != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, p) != CURLE_OK;
#endif
}

/* Every connection a NET_REQ_PUBLIC_ONLY job opens, redirects included,
 * goes through here with the address it resolved to: the one checked is
 * the one connected, so a DNS answer cannot change it in between. */
static curl_socket_t ob_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *addr)
{
    ob_job *j = clientp;
    if (purpose == CURLSOCKTYPE_IPCXN && !net_addr_public(&addr->addr)) {
        char text[64];
        net_addr_text(&addr->addr, text, sizeof text);
        char *const *a = j->req->allow_addrs;
        while (a && *a && strcmp(*a, text) != 0)
            a++;
        if (!a || !*a) {
            snprintf(j->blocked, sizeof j->blocked, "%s", text);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* The easy handle for j: method, headers, limits. Returns 0 or -1. */
static int ob_job_setup(ob_job *j)
{
    CURL *e = j->easy = curl_easy_init();
    long timeout = j->req->timeout_s > 0 ? j->req->timeout_s : OB_DEFAULT_TIMEOUT_S;
    if (!e)
        return -1;
    for (char **h = j->req->headers; h && *h; h++) {
        struct curl_slist *l = curl_slist_append(j->headers, *h);
        if (!l)
            return -1;
        j->headers = l;
    }
    struct curl_slist *l = curl_slist_append(j->headers, "Expect:");   /* no 100-continue */
    if (!l)
        return -1;
    j->headers = l;
    int bad = ob_set_protocols(e);
    bad |= curl_easy_setopt(e, CURLOPT_URL, j->req->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION,
                            (long)!!(j->req->flags & NET_REQ_FOLLOW)) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L) != CURLE_OK;
    if (j->req->flags & NET_REQ_PUBLIC_ONLY) {
        bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, ob_open_socket) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j) != CURLE_OK;
    }
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)(j->req->max_body ? j->req->max_body : ob.max_body))
           != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT,
                            j->req->user_agent ? j->req->user_agent
                                               : "chimerad/" CHIMERA_VERSION) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ob_write) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, j) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, j) != CURLE_OK;
    if (j->req->body) {
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->req->body) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                (curl_off_t)strlen(j->req->body)) != CURLE_OK;
    }
    return bad ? -1 : 0;
}

/* ---- completion ---------------------------------------------------------- */

/* Transport failures that mean "could not reach the API" (§6.5). */
static int ob_unreachable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return 1;
    default:
        return 0;
    }
}

/* Fills res from a finished transfer (rc = curl's verdict). */
static void net_result_fill(ob_job *j, CURLcode rc, net_result *res)
{
    static char empty[1];
    memset(res, 0, sizeof *res);
    if (rc == CURLE_OK) {
        const char *ct = NULL;
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &res->status);
        if (curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
            snprintf(res->content_type, sizeof res->content_type, "%s", ct);
        res->body = j->body.p ? j->body.p : empty;
        res->len = j->body.len;
        return;
    }
    res->body = empty;
    res->transport_failed = ob_unreachable(rc) ? NET_UNREACHABLE : NET_FAILED;
    if (j->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        res->too_large = 1;
        snprintf(res->error, sizeof res->error, "Response too large");
    } else if (j->out_of_memory) {
        snprintf(res->error, sizeof res->error, "Out of memory");
    } else if (j->blocked[0]) {
        res->blocked = 1;
        snprintf(res->error, sizeof res->error,
                 "address %s is not public (private, loopback, link-local or multicast)",
                 j->blocked);
    } else {
        res->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(res->error, sizeof res->error, "%s",
                 j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
    }
}

/* ---- counts for the metrics endpoint ------------------------------------ */

const char *const outbound_target_names[OB_TARGETS] = {
    "openai", "anthropic", "google", "deepseek", "groq", "embeddings", "import", "other",
};
const char *const outbound_outcome_names[OB_OUTCOMES] = {
    "ok", "http_error", "timeout", "network", "too_large", "blocked",
};
static atomic_uint_fast64_t ob_counts[OB_TARGETS][OB_OUTCOMES];

static void ob_count(const net_request *req, const net_result *res)
{
    size_t t = OB_TARGETS - 1, o;
    for (size_t i = 0; req && req->target && i < OB_TARGETS - 1; i++)
        if (strcmp(req->target, outbound_target_names[i]) == 0)
            t = i;
    if (res->status)
        o = res->status >= 200 && res->status < 300 ? 0 : 1;
    else
        o = res->timed_out ? 2 : res->too_large ? 4 : res->blocked ? 5 : 3;
    atomic_fetch_add_explicit(&ob_counts[t][o], 1, memory_order_relaxed);
}

void outbound_counts(uint64_t out[OB_TARGETS][OB_OUTCOMES])
{
    for (size_t t = 0; t < OB_TARGETS; t++)
        for (size_t o = 0; o < OB_OUTCOMES; o++)
            out[t][o] = atomic_load_explicit(&ob_counts[t][o], memory_order_relaxed);
}

/* Runs the callback without the lock (it may submit), then frees the job. */
static void ob_finish(ob_job *j, const net_result *res)
{
    ob_count(j->req, res);
    if (j->done)
        j->done(j->ctx, res);
    ob_job_free(j);
    pthread_mutex_lock(&ob.mu);
    ob.in_flight--;
    pthread_mutex_unlock(&ob.mu);
}

static void ob_fail(ob_job *j, const char *why)
{
    static char empty[1];
    net_result res;
    memset(&res, 0, sizeof res);
    res.body = empty;
    res.transport_failed = NET_FAILED;
    snprintf(res.error, sizeof res.error, "%s", why);
    ob_finish(j, &res);
}

static void ob_active_unlink(ob_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        ob.active = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->next = j->prev = NULL;
}

static void ob_collect_done(void)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(ob.multi, &left))) {
        ob_job *j = NULL;
        net_result res;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        CURLcode rc = msg->data.result;     /* msg dies with remove_handle */
        curl_multi_remove_handle(ob.multi, j->easy);
        ob_active_unlink(j);
        net_result_fill(j, rc, &res);
        ob_finish(j, &res);
    }
}

/* ---- engine thread -------------------------------------------------------- */

/* Hands queued jobs to curl. */
static void ob_take_queue(void)
{
    pthread_mutex_lock(&ob.mu);
    ob_job *j = ob.queue;
    ob.queue = ob.queue_tail = NULL;
    pthread_mutex_unlock(&ob.mu);
    while (j) {
        ob_job *next = j->next;
        j->next = NULL;
        if (ob_job_setup(j) != 0) {
            ob_fail(j, "Could not set up the request");
        } else if (curl_multi_add_handle(ob.multi, j->easy) != CURLM_OK) {
            ob_fail(j, "Could not start the request");
        } else {
            j->next = ob.active;
            if (ob.active)
                ob.active->prev = j;
            ob.active = j;
        }
        j = next;
    }
}

/* Cancels every job still running or queued (end of the grace period). */
static void ob_cancel_all(void)
{
    ob_take_queue();
    while (ob.active) {
        ob_job *j = ob.active;
        ob_active_unlink(j);
        curl_multi_remove_handle(ob.multi, j->easy);
        ob_fail(j, "Server shutting down");
    }
}

static long ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

/* 1 when the engine should leave its loop; also decides the poll wait. */
static int ob_should_exit(int *wait_ms)
{
    int exit_now = 0;
    *wait_ms = OB_POLL_MS;
    pthread_mutex_lock(&ob.mu);
    if (ob.stopping) {
        long left = ms_until(&ob.deadline);
        if (ob.in_flight == 0)
            exit_now = 1;
        else if (left <= 0)
            exit_now = 2;
        else if (left < *wait_ms)
            *wait_ms = (int)left;
    }
    pthread_mutex_unlock(&ob.mu);
    if (exit_now == 2)
        ob_cancel_all();
    return exit_now;
}

static void *ob_main(void *arg)
{
    int running = 0, wait_ms;
    (void)arg;
    for (;;) {
        ob_take_queue();
        curl_multi_perform(ob.multi, &running);
        ob_collect_done();
        if (ob_should_exit(&wait_ms))
            break;
        curl_multi_poll(ob.multi, NULL, 0, wait_ms, NULL);
    }
    return NULL;
}

/* ---- public API ---------------------------------------------------------- */

int outbound_start(size_t max_body)
{
    int rc = -1;
    pthread_mutex_lock(&ob.mu);
    if (ob.multi || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        goto out;
    if (!(ob.multi = curl_multi_init())) {
        curl_global_cleanup();
        goto out;
    }
    ob.max_body = max_body ? max_body : OB_DEFAULT_MAX_BODY;
    ob.accepting = 1;
    ob.stopping = 0;
    ob.in_flight = 0;
    ob.active = NULL;
    if (pthread_create(&ob.thread, NULL, ob_main, NULL) != 0) {
        curl_multi_cleanup(ob.multi);
        ob.multi = NULL;
        ob.accepting = 0;
        curl_global_cleanup();
        goto out;
    }
    rc = 0;
out:
    pthread_mutex_unlock(&ob.mu);
    return rc;
}

void outbound_stop(long grace_s)
{
    pthread_mutex_lock(&ob.mu);
    if (!ob.multi || ob.stopping) {
        pthread_mutex_unlock(&ob.mu);
        return;
    }
    ob.accepting = 0;
    ob.stopping = 1;
    clock_gettime(CLOCK_MONOTONIC, &ob.deadline);
    ob.deadline.tv_sec += grace_s > 0 ? grace_s : 0;
    curl_multi_wakeup(ob.multi);
    pthread_mutex_unlock(&ob.mu);

    pthread_join(ob.thread, NULL);

    pthread_mutex_lock(&ob.mu);
    curl_multi_cleanup(ob.multi);
    ob.multi = NULL;
    ob.stopping = 0;
    curl_global_cleanup();
    pthread_mutex_unlock(&ob.mu);
}

int outbound_submit(net_request *req, net_done done, void *ctx)
{
    ob_job *j;
    if (!req || !req->url)
        return -1;
    if (!(j = calloc(1, sizeof *j)))
        return -1;
    j->done = done;
    j->ctx = ctx;
    pthread_mutex_lock(&ob.mu);
    if (!ob.accepting) {
        pthread_mutex_unlock(&ob.mu);
        free(j);
        return -1;
    }
    j->req = req;
    if (ob.queue_tail)
        ob.queue_tail->next = j;
    else
        ob.queue = j;
    ob.queue_tail = j;
    ob.in_flight++;
    curl_multi_wakeup(ob.multi);    /* under the lock: multi outlives accepting */
    pthread_mutex_unlock(&ob.mu);
    return 0;
}

size_t outbound_in_flight(void)
{
    pthread_mutex_lock(&ob.mu);
    size_t n = ob.in_flight;
    pthread_mutex_unlock(&ob.mu);
    return n;
}
