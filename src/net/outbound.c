/* outbound.c — the outbound engine (see outbound.h): one thread, one libcurl
 * multi handle, every slow outbound HTTP call of the server. Other threads
 * only touch the submission queue (under ob.mu) and wake the engine with
 * curl_multi_wakeup(). The engine owns every job from submission to the
 * return of its callback, and frees the result body afterwards. How one
 * transfer is set up and read is net/xfer.c's. */
#include "net/outbound.h"

#include "net/xfer.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OB_POLL_MS 1000

typedef struct ob_job {
    struct ob_job *next, *prev;     /* queue (next only) or active list */
    net_request *req;               /* owned (heap) */
    net_done done;
    void *ctx;
    net_xfer x;
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

static void ob_job_free(ob_job *j)
{
    if (!j)
        return;
    net_xfer_free(&j->x);
    net_request_free(j->req);
    free(j->req);
    free(j);
}

/* The easy handle for j, findable from curl's messages. Returns 0 or -1. */
static int ob_job_setup(ob_job *j)
{
    if (net_xfer_setup(&j->x, j->req, ob.max_body) != 0)
        return -1;
    return curl_easy_setopt(j->x.easy, CURLOPT_PRIVATE, j) != CURLE_OK ? -1 : 0;
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
    net_result res;
    net_result_failed(&res, why);
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
        curl_multi_remove_handle(ob.multi, j->x.easy);
        ob_active_unlink(j);
        net_xfer_result(&j->x, rc, &res);
        ob_finish(j, &res);
    }
}

/* Ends the transfers whose requester asked for that (net_request.cancel):
 * their callbacks run with a cancelled result. */
static void ob_collect_cancelled(void)
{
    for (ob_job *j = ob.active, *next; j; j = next) {
        next = j->next;
        if (!j->req->cancel || !atomic_load(j->req->cancel))
            continue;
        net_result res;
        curl_multi_remove_handle(ob.multi, j->x.easy);
        ob_active_unlink(j);
        j->x.cancelled = 1;
        net_xfer_result(&j->x, CURLE_ABORTED_BY_CALLBACK, &res);
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
        } else if (curl_multi_add_handle(ob.multi, j->x.easy) != CURLM_OK) {
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
        curl_multi_remove_handle(ob.multi, j->x.easy);
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
        ob_collect_cancelled();
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
    ob.max_body = max_body ? max_body : NET_DEFAULT_MAX_BODY;
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

void outbound_wake(void)
{
    pthread_mutex_lock(&ob.mu);
    if (ob.multi)
        curl_multi_wakeup(ob.multi);
    pthread_mutex_unlock(&ob.mu);
}

size_t outbound_in_flight(void)
{
    pthread_mutex_lock(&ob.mu);
    size_t n = ob.in_flight;
    pthread_mutex_unlock(&ob.mu);
    return n;
}
