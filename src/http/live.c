/* live.c — see live.h. Wake-ups are never lost: the reader clears
 * `pending` before asking the producer, and suspends only if no wake came
 * in the meantime, under the live's lock, the lock http_live_wake takes
 * before resuming. A suspended connection is never closed by MHD (it is
 * not polled), so `conn` stays valid until the request's reference is
 * dropped, which detaches it under the same lock.
 *
 * MHD does not poll a suspended connection, so a client that hangs up while
 * the producer is silent would go unnoticed until the next write: the
 * keep-alive thread polls each suspended live's socket for a hang-up
 * (POLLRDHUP: clients of a response do not half-close) and resumes it to
 * end with an error, which closes the connection at once. */
#include "http/live.h"

#include "http/cors.h"
#include "http/response.h"
#include "util/fault.h"
#include "util/isotime.h"
#include "util/log.h"

#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIVE_BLOCK (16 * 1024)
static const char KEEPALIVE[] = ": keep-alive\n\n";

struct http_live {
    struct http_live *next, *prev;  /* the keep-alive list (lives.mu) */
    pthread_mutex_t mu;             /* conn, suspended, pending */
    struct MHD_Connection *conn;    /* NULL once detached */
    bool suspended;
    bool pending;                   /* woken since the reader last asked */
    bool gone;                      /* the client hung up (seen while suspended) */
    int fd;                         /* the connection's socket, -1 if unknown */
    atomic_int refs;
    atomic_llong last_write_us;     /* monotonic */
    http_live_ops ops;
    void *cls;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    http_live *head;
    long keepalive_us;
    bool running, stop;
    pthread_t thread;
} lives = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* ---- keep-alive thread ----------------------------------------------------- */

static void live_resume_locked(http_live *l)
{
    if (l->suspended && l->conn) {
        l->suspended = false;
        MHD_resume_connection(l->conn);
    }
}

/* A suspended connection's client has closed its side (lock held). */
static bool live_hung_up(const http_live *l)
{
    struct pollfd p = { .fd = l->fd, .events = POLLRDHUP };
    return l->fd >= 0 && poll(&p, 1, 0) > 0 &&
           (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static void *live_ticker(void *arg)
{
    fault_exempt_thread();
    (void)arg;
    long period_us = lives.keepalive_us / 2;
    if (period_us < 10000)
        period_us = 10000;
    if (period_us > 1000000)
        period_us = 1000000;
    pthread_mutex_lock(&lives.mu);
    while (!lives.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long long ns = until.tv_nsec + period_us * 1000LL;
        until.tv_sec += (time_t)(ns / 1000000000LL);
        until.tv_nsec = (long)(ns % 1000000000LL);
        pthread_cond_timedwait(&lives.cv, &lives.mu, &until);
        int64_t now = time_mono_us();
        for (http_live *l = lives.head; l && !lives.stop; l = l->next) {
            bool due = now - atomic_load(&l->last_write_us) >= lives.keepalive_us;
            pthread_mutex_lock(&l->mu);
            if (l->suspended && l->conn && !due && live_hung_up(l))
                l->gone = due = true;
            if (due)
                live_resume_locked(l);
            pthread_mutex_unlock(&l->mu);
        }
    }
    pthread_mutex_unlock(&lives.mu);
    return NULL;
}

int http_live_init(long keepalive_ms)
{
    lives.keepalive_us = (keepalive_ms > 0 ? keepalive_ms : 15000) * 1000L;
    lives.stop = false;
    if (pthread_create(&lives.thread, NULL, live_ticker, NULL) != 0)
        return -1;
    lives.running = true;
    return 0;
}

void http_live_shutdown(void)
{
    if (!lives.running)
        return;
    pthread_mutex_lock(&lives.mu);
    lives.stop = true;
    pthread_cond_signal(&lives.cv);
    pthread_mutex_unlock(&lives.mu);
    pthread_join(lives.thread, NULL);
    lives.running = false;
}

/* ---- lives ---------------------------------------------------------------- */

static void live_unref(http_live *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    if (l->ops.free)
        l->ops.free(l->cls);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static void live_list_add(http_live *l)
{
    pthread_mutex_lock(&lives.mu);
    l->next = lives.head;
    if (lives.head)
        lives.head->prev = l;
    lives.head = l;
    pthread_mutex_unlock(&lives.mu);
}

static void live_list_remove(http_live *l)
{
    pthread_mutex_lock(&lives.mu);
    if (l->prev)
        l->prev->next = l->next;
    else if (lives.head == l)
        lives.head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->next = l->prev = NULL;
    pthread_mutex_unlock(&lives.mu);
}

http_live *http_live_answer(http_req *r, const char *content_type, const http_live_ops *ops,
                            void *cls)
{
    http_live *l = calloc(1, sizeof *l);
    if (!l || pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l);
        if (ops->free)
            ops->free(cls);
        resp_error(r, 500, "Internal server error");
        return NULL;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    l->fd = ci ? ci->connect_fd : -1;
    l->conn = r->conn;
    l->ops = *ops;
    l->cls = cls;
    atomic_init(&l->refs, 2);
    atomic_init(&l->last_write_us, time_mono_us());
    resp_data(r, 200, json_null());     /* answered: the body is the live one */
    r->live = l;
    r->content_type = content_type;
    live_list_add(l);
    return l;
}

void http_live_wake(http_live *l)
{
    pthread_mutex_lock(&l->mu);
    l->pending = true;
    live_resume_locked(l);
    pthread_mutex_unlock(&l->mu);
}

void http_live_retain(http_live *l)
{
    atomic_fetch_add(&l->refs, 1);
}

void http_live_release(http_live *l)
{
    if (l)
        live_unref(l);
}

/* MHD's content reader: the producer's bytes; when it has none, a
 * keep-alive comment if the silence has lasted, else suspend. */
static ssize_t live_reader(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    http_live *l = cls;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        l->pending = false;
        bool gone = l->gone;
        pthread_mutex_unlock(&l->mu);
        if (gone)
            return MHD_CONTENT_READER_END_WITH_ERROR;   /* closes the connection */
        long n = l->ops.fill(l->cls, out, max);
        if (n == RESP_STREAM_END)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        int64_t now = time_mono_us();
        if (n == 0 && now - atomic_load(&l->last_write_us) >= lives.keepalive_us &&
            max >= sizeof KEEPALIVE - 1) {
            memcpy(out, KEEPALIVE, sizeof KEEPALIVE - 1);
            n = (long)(sizeof KEEPALIVE - 1);
        }
        if (n > 0) {
            atomic_store(&l->last_write_us, now);
            return (ssize_t)n;
        }
        pthread_mutex_lock(&l->mu);
        if (!l->pending) {
            l->suspended = true;
            MHD_suspend_connection(l->conn);
            pthread_mutex_unlock(&l->mu);
            return 0;       /* asked again once resumed */
        }
        pthread_mutex_unlock(&l->mu);
    }
}

struct MHD_Response *http_live_response(http_req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, LIVE_BLOCK, live_reader, r->live,
                                          NULL);
    if (!resp)
        return NULL;
    MHD_add_response_header(resp, "Content-Type", r->content_type);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");   /* proxies: pass it on */
    cors_headers(r, resp, 0);
    return resp;
}

void http_live_detach(http_live *l, bool complete)
{
    live_list_remove(l);
    pthread_mutex_lock(&l->mu);
    l->conn = NULL;
    l->suspended = false;
    pthread_mutex_unlock(&l->mu);
    if (l->ops.closed)
        l->ops.closed(l->cls, complete);
    live_unref(l);
}
