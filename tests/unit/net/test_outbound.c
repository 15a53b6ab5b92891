/* test_outbound.c — unit tests for src/net/outbound.c against a tiny HTTP
 * server in this process (net/canned.h): plain and POST answers, HTTP errors,
 * timeouts, the body cap, refused and dropped connections, protocol and
 * redirect limits, 200 concurrent slow jobs on the one engine thread, submissions
 * from callbacks and from many threads, shutdown with jobs in flight, and
 * streaming transfers (on_data, refusal, cap, cancellation). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/canned.h"
#include "net/outbound.h"

#define MAX_BODY (64 * 1024)

/* ---- jobs and their results ---------------------------------------------- */

typedef struct collector {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} collector;

typedef struct slot {
    collector *c;
    int calls;
    net_result res;              /* body copied */
    int resubmit;               /* submit /ok again from the callback */
    int resubmit_rc;
    struct slot *next_slot;
} slot;

static collector coll = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static net_request *make_req(const char *path, const char *body, long timeout_s)
{
    net_request *r = calloc(1, sizeof *r);
    char url[256];
    assert_non_null(r);
    if (strstr(path, "://"))
        snprintf(url, sizeof url, "%s", path);
    else
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
    r->url = strdup(url);
    r->body = body ? strdup(body) : NULL;
    r->timeout_s = timeout_s;
    r->headers = calloc(3, sizeof *r->headers);
    r->headers[0] = strdup("X-Test: 1");
    r->headers[1] = strdup("Content-Type: application/json");
    return r;
}

static void on_done(void *ctx, const net_result *res)
{
    slot *s = ctx;
    s->calls++;
    s->res = *res;
    s->res.body = malloc(res->len + 1);
    memcpy(s->res.body, res->body, res->len + 1);
    if (s->resubmit)
        s->resubmit_rc = outbound_submit(make_req("/ok", NULL, 5), on_done, s->next_slot);
    pthread_mutex_lock(&s->c->mu);
    s->c->done++;
    pthread_cond_broadcast(&s->c->cv);
    pthread_mutex_unlock(&s->c->mu);
}

static void submit(slot *s, const char *path, const char *body, long timeout_s)
{
    s->c = &coll;
    assert_int_equal(outbound_submit(make_req(path, body, timeout_s), on_done, s), 0);
}

/* Waits until n callbacks have run in total (fails after 10 s). */
static void wait_done(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&coll.mu);
    while (coll.done < n)
        if (pthread_cond_timedwait(&coll.cv, &coll.mu, &until) != 0)
            break;
    int done = coll.done;
    pthread_mutex_unlock(&coll.mu);
    if (done < n)
        fail_msg("only %d of %d jobs completed", done, n);
}

/* in_flight drops just after each callback returns: wait for it. */
static void wait_idle(void)
{
    for (int i = 0; i < 1000 && outbound_in_flight() > 0; i++)
        usleep(1000);
    assert_int_equal(outbound_in_flight(), 0);
}

static void slot_free(slot *s)
{
    free(s->res.body);
    s->res.body = NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int engine_start(void **state)
{
    (void)state;
    coll.done = 0;
    return outbound_start(MAX_BODY);
}

static int engine_stop(void **state)
{
    (void)state;
    outbound_stop(0);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_ok(void **state)
{
    slot s = { 0 };
    (void)state;
    submit(&s, "/ok", NULL, 5);
    wait_done(1);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.res.status, 200);
    assert_int_equal(s.res.len, 5);
    assert_string_equal(s.res.body, "hello");
    assert_false(s.res.timed_out || s.res.transport_failed || s.res.too_large);
    assert_string_equal(s.res.error, "");
    wait_idle();
    slot_free(&s);
}

static void test_post(void **state)
{
    slot s = { 0 };
    (void)state;
    submit(&s, "/echo", "{\"a\":1}", 5);
    wait_done(1);
    assert_int_equal(s.res.status, 200);
    const char *req = s.res.body;
    assert_true(strncmp(req, "POST /echo HTTP/1.1\r\n", 21) == 0);
    assert_non_null(strstr(req, "\r\nX-Test: 1\r\n"));
    assert_non_null(strstr(req, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(req, "\r\nContent-Length: 7\r\n"));
    assert_non_null(strstr(req, "\r\nUser-Agent: chimerad/"));
    assert_null(strstr(req, "Expect:"));
    assert_string_equal(strstr(req, "\r\n\r\n") + 4, "{\"a\":1}");
    slot_free(&s);
    /* no body: GET */
    submit(&s, "/echo", NULL, 5);
    wait_done(2);
    assert_true(strncmp(s.res.body, "GET /echo HTTP/1.1\r\n", 20) == 0);
    slot_free(&s);
}

static void test_http_status(void **state)
{
    slot s = { 0 }, r = { 0 };
    (void)state;
    submit(&s, "/status/429", NULL, 5);
    submit(&r, "/redirect", NULL, 5);               /* never followed */
    wait_done(2);
    assert_int_equal(s.res.status, 429);
    assert_string_equal(s.res.body, "{\"error\":{\"message\":\"no\"}}");
    assert_false(s.res.transport_failed);
    assert_int_equal(r.res.status, 302);
    assert_int_equal(r.res.len, 0);
    slot_free(&s);
    slot_free(&r);
}

static void test_timeout(void **state)
{
    slot s = { 0 };
    (void)state;
    double t0 = now_s();
    submit(&s, "/sleep/3000", NULL, 1);
    wait_done(1);
    double took = now_s() - t0;
    /* not before the 1 s timeout; that it fired (and not the server's answer
     * at 3 s) is what timed_out says, so no upper bound on a busy machine */
    assert_true(took > 0.9);
    assert_int_equal(s.res.timed_out, 1);
    assert_int_equal(s.res.transport_failed, NET_FAILED);
    assert_int_equal(s.res.status, 0);
    assert_int_equal(s.res.len, 0);
    assert_string_equal(s.res.body, "");
    assert_true(strlen(s.res.error) > 0);
    slot_free(&s);
}

static void test_body_cap(void **state)
{
    slot a = { 0 }, b = { 0 }, c = { 0 };
    (void)state;
    submit(&a, "/huge", NULL, 5);
    submit(&b, "/huge-unannounced", NULL, 5);
    submit(&c, "/ok", NULL, 5);
    wait_done(3);
    for (slot *s = &a; s != &c; s = s == &a ? &b : &c) {
        assert_int_equal(s->res.too_large, 1);
        assert_int_equal(s->res.transport_failed, NET_FAILED);
        assert_int_equal(s->res.status, 0);
        assert_int_equal(s->res.len, 0);
        assert_string_equal(s->res.error, "Response too large");
    }
    assert_int_equal(c.res.status, 200);
    slot_free(&a);
    slot_free(&b);
    slot_free(&c);
}

static void test_unreachable(void **state)
{
    slot drop = { 0 }, refused = { 0 };
    char url[64];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    (void)state;
    /* a port that was just free: nobody listens there */
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    submit(&drop, "/drop", NULL, 5);
    submit(&refused, url, NULL, 5);
    wait_done(2);
    assert_int_equal(drop.res.transport_failed, NET_UNREACHABLE);
    assert_int_equal(drop.res.status, 0);
    assert_int_equal(drop.res.timed_out, 0);
    assert_int_equal(refused.res.transport_failed, NET_UNREACHABLE);
    assert_true(strlen(refused.res.error) > 0);
    slot_free(&drop);
    slot_free(&refused);
}

static void test_protocols(void **state)
{
    slot f = { 0 }, g = { 0 };
    (void)state;
    submit(&f, "file:///etc/hostname", NULL, 5);
    submit(&g, "gopher://127.0.0.1:1/", NULL, 5);
    wait_done(2);
    assert_int_equal(f.res.transport_failed, NET_FAILED);
    assert_int_equal(f.res.len, 0);
    assert_int_equal(g.res.transport_failed, NET_FAILED);
    slot_free(&f);
    slot_free(&g);
}

/* 200 jobs that each take 200 ms run at once: about 0.3 s in all. The bound
 * is 10x that and still a tenth of what one after another would take (40 s). */
static void test_concurrent(void **state)
{
    enum { N = 200 };
    slot *s = calloc(N, sizeof *s);
    (void)state;
    double t0 = now_s();
    for (int i = 0; i < N; i++)
        submit(&s[i], "/sleep/200", NULL, 5);
    wait_done(N);
    double took = now_s() - t0;
    if (took >= 4.0)
        fail_msg("200 concurrent 200 ms jobs took %.2f s", took);
    for (int i = 0; i < N; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_int_equal(s[i].res.status, 200);
        assert_string_equal(s[i].res.body, "slept");
        slot_free(&s[i]);
    }
    wait_idle();
    free(s);
}

static void test_submit_from_callback(void **state)
{
    slot first = { 0 }, second = { 0 };
    (void)state;
    first.resubmit = 1;
    first.next_slot = &second;
    second.c = &coll;
    submit(&first, "/ok", NULL, 5);
    wait_done(2);
    assert_int_equal(first.resubmit_rc, 0);
    assert_int_equal(second.calls, 1);
    assert_int_equal(second.res.status, 200);
    slot_free(&first);
    slot_free(&second);
}

enum { THREADS = 8, PER_THREAD = 25 };

static void *submitter(void *arg)
{
    slot *s = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        s[i].c = &coll;
        if (outbound_submit(make_req("/ok", NULL, 5), on_done, &s[i]) != 0)
            s[i].calls = -100;
    }
    return NULL;
}

static void test_threaded_submit(void **state)
{
    slot *s = calloc(THREADS * PER_THREAD, sizeof *s);
    pthread_t t[THREADS];
    (void)state;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, submitter, s + i * PER_THREAD), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    wait_done(THREADS * PER_THREAD);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_int_equal(s[i].res.status, 200);
        slot_free(&s[i]);
    }
    free(s);
}

/* Stop with no grace: in-flight jobs are cancelled, callbacks still run. */
static void test_stop_cancels(void **state)
{
    enum { N = 20 };
    slot s[N];
    (void)state;
    memset(s, 0, sizeof s);
    for (int i = 0; i < N; i++)
        submit(&s[i], "/sleep/5000", NULL, 10);
    usleep(100 * 1000);
    assert_int_equal(outbound_in_flight(), N);
    outbound_stop(0);           /* "Server shutting down" below: cancelled, not waited for */
    assert_int_equal(coll.done, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(s[i].calls, 1);
        assert_int_equal(s[i].res.status, 0);
        assert_int_equal(s[i].res.transport_failed, NET_FAILED);
        assert_string_equal(s[i].res.error, "Server shutting down");
        slot_free(&s[i]);
    }
    assert_int_equal(outbound_in_flight(), 0);
    /* stopped: refused, the request stays the caller's */
    net_request *r = make_req("/ok", NULL, 5);
    assert_int_equal(outbound_submit(r, on_done, &s[0]), -1);
    assert_non_null(r->url);
    net_request_free(r);
    free(r);
    outbound_stop(0);                               /* idempotent */
}

/* Stop with grace: short jobs finish normally first. */
static void test_stop_grace(void **state)
{
    enum { N = 10 };
    slot s[N];
    (void)state;
    memset(s, 0, sizeof s);
    for (int i = 0; i < N; i++)
        submit(&s[i], "/sleep/200", NULL, 60);
    double t0 = now_s();
    outbound_stop(30);
    double took = now_s() - t0;
    /* returns once the jobs are done (~0.2 s), not at the end of the grace:
     * 10x margin on the one, a third of the other */
    assert_true(took < 10.0);
    assert_int_equal(coll.done, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(s[i].res.status, 200);
        slot_free(&s[i]);
    }
}

/* Grace shorter than the jobs: waits out the grace period, then cancels. */
static void test_stop_grace_expires(void **state)
{
    slot s = { 0 };
    (void)state;
    submit(&s, "/sleep/5000", NULL, 10);
    double t0 = now_s();
    outbound_stop(1);
    double took = now_s() - t0;
    assert_true(took > 0.9);    /* cancelled, not finished: the error below says so */
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.res.error, "Server shutting down");
    slot_free(&s);
}

/* ---- streaming transfers -------------------------------------------------- */

typedef struct sink {
    size_t bytes, calls;
    size_t refuse_after;        /* on_data says stop past this many bytes (0: never) */
} sink;

static int sink_data(void *ctx, const char *p, size_t n)
{
    sink *k = ctx;
    (void)p;
    k->calls++;
    k->bytes += n;
    return k->refuse_after && k->bytes > k->refuse_after ? -1 : 0;
}

static void submit_streamed(slot *s, sink *k, const char *path, const atomic_int *cancel)
{
    net_request *req = make_req(path, NULL, 10);
    req->on_data = sink_data;
    req->data_ctx = k;
    req->cancel = cancel;
    req->max_body = 2 << 20;
    s->c = &coll;
    assert_int_equal(outbound_submit(req, on_done, s), 0);
}

/* A 2xx answer goes to on_data as it arrives, not into the body; an error
 * answer is collected as before. */
static void test_stream_data(void **state)
{
    slot s = { 0 }, e = { 0 };
    sink k = { 0 }, ke = { 0 };
    (void)state;
    submit_streamed(&s, &k, "/huge-unannounced", NULL);
    submit_streamed(&e, &ke, "/status/429", NULL);
    wait_done(2);
    assert_int_equal(s.res.status, 200);
    assert_int_equal(s.res.len, 0);
    assert_int_equal(k.bytes, 64 * 16384);
    assert_true(k.calls >= 2);
    assert_false(s.res.cancelled || s.res.transport_failed);
    assert_int_equal(e.res.status, 429);
    assert_string_equal(e.res.body, "{\"error\":{\"message\":\"no\"}}");
    assert_int_equal(ke.calls, 0);
    slot_free(&s);
    slot_free(&e);
}

/* on_data refusing ends the transfer as cancelled; streamed bytes count
 * against the body cap. */
static void test_stream_refused_and_capped(void **state)
{
    slot s = { 0 }, c = { 0 };
    sink k = { .refuse_after = 40000 }, kc = { 0 };
    (void)state;
    submit_streamed(&s, &k, "/huge-unannounced", NULL);
    net_request *req = make_req("/huge-unannounced", NULL, 10);
    req->on_data = sink_data;
    req->data_ctx = &kc;
    req->max_body = 100000;
    c.c = &coll;
    assert_int_equal(outbound_submit(req, on_done, &c), 0);
    wait_done(2);
    assert_int_equal(s.res.cancelled, 1);
    assert_int_equal(s.res.transport_failed, NET_FAILED);
    assert_true(k.bytes > 40000 && k.bytes < 64 * 16384);
    assert_int_equal(c.res.too_large, 1);
    assert_true(kc.bytes <= 100000);
    slot_free(&s);
    slot_free(&c);
}

/* Setting the cancel flag and waking the engine ends a silent transfer at
 * once (well before its 10 s timeout), and the server sees the hang-up. */
static void test_stream_cancel(void **state)
{
    slot s = { 0 };
    sink k = { 0 };
    atomic_int cancel;
    (void)state;
    atomic_init(&cancel, 0);
    double t0 = now_s();
    submit_streamed(&s, &k, "/sleep/8000", &cancel);
    usleep(200 * 1000);
    assert_int_equal(s.calls, 0);
    atomic_store(&cancel, 1);
    outbound_wake();
    wait_done(1);
    assert_true(now_s() - t0 < 4.0);
    assert_int_equal(s.res.cancelled, 1);
    assert_string_equal(s.res.error, "Cancelled");
    /* the canned server's connection thread returns once the client is gone */
    int live = 1;
    for (int i = 0; i < 400 && live > 0; i++) {
        usleep(10 * 1000);
        pthread_mutex_lock(&srv.mu);
        live = srv.live;
        pthread_mutex_unlock(&srv.mu);
    }
    assert_int_equal(live, 0);
    slot_free(&s);
}

static void test_not_started(void **state)
{
    net_request *r = make_req("/ok", NULL, 5);
    (void)state;
    assert_int_equal(outbound_submit(r, on_done, NULL), -1);
    net_request_free(r);
    free(r);
    outbound_stop(1);                               /* harmless */
    assert_int_equal(outbound_start(MAX_BODY), 0);
    assert_int_equal(outbound_start(MAX_BODY), -1); /* already running */
    outbound_stop(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_started),
        cmocka_unit_test_setup_teardown(test_ok, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_post, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_http_status, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_timeout, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_body_cap, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_unreachable, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_protocols, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_concurrent, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_submit_from_callback, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_threaded_submit, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_stop_cancels, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_stop_grace, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_stop_grace_expires, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_stream_data, engine_start, engine_stop),
        cmocka_unit_test_setup_teardown(test_stream_refused_and_capped, engine_start,
                                        engine_stop),
        cmocka_unit_test_setup_teardown(test_stream_cancel, engine_start, engine_stop),
    };
    return cmocka_run_group_tests_name("net/outbound", tests, server_start, server_stop);
}
