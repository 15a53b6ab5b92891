/* test_conntrack.c — src/http/conntrack.c without a server: socketpairs
 * stand in for connections (a shut-down one reads end-of-file on the other
 * end). Covers the header deadline (waiting from open and from idle, not
 * while busy), claims racing "headers done", admission when full: room
 * made from the biggest holder's waiting connection, "two fewer", refusal,
 * trusted proxies always admitted and never evicted. The reaper thread is
 * not started: ct_reap is called with chosen times; one test races it
 * against a worker thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/conntrack.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 8
#define TIMEOUT_MS 2000
#define MAXT 256

typedef struct tconn { ct_conn *c; int fd[2]; } tconn;

static cidr_list trusted;
static tconn conns[MAXT];
static int nconns;

static int setup(void **state)
{
    (void)state;
    char why[64];
    nconns = 0;
    if (cidr_list_parse("10.0.0.1", &trusted, why, sizeof why) != 0)
        return -1;
    return ct_init(MAXC, TIMEOUT_MS, &trusted, false);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < nconns; i++) {
        ct_close(conns[i].c);
        close(conns[i].fd[0]);
        close(conns[i].fd[1]);
    }
    ct_shutdown();
    cidr_list_free(&trusted);
    return 0;
}

static ip_addr ip(const char *s)
{
    ip_addr a;
    assert_true(ip_parse(s, strlen(s), &a));
    return a;
}

/* Opens a tracked connection from addr; returns its index. */
static int open_from(const char *addr)
{
    assert_true(nconns < MAXT);
    tconn *t = &conns[nconns];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, t->fd), 0);
    fcntl(t->fd[1], F_SETFL, O_NONBLOCK);
    ip_addr a = ip(addr);
    t->c = ct_open(&a, t->fd[0]);
    assert_non_null(t->c);
    return nconns++;
}

/* Was connection i shut down (the client end reads end-of-file)? */
static bool shut(int i)
{
    char ch;
    return read(conns[i].fd[1], &ch, 1) == 0;
}

static bool admit(const char *addr)
{
    ip_addr a = ip(addr);
    return ct_admit(&a);
}

static void test_deadline_from_open(void **state)
{
    (void)state;
    int a = open_from("192.0.2.1");
    int b = open_from("192.0.2.2");
    assert_true(ct_headers_done(conns[b].c));        /* b is busy: no deadline */
    int64_t now = ct_now_ms();
    assert_int_equal(ct_reap(now + 1000), 0);
    assert_false(shut(a));
    assert_int_equal(ct_reap(now + TIMEOUT_MS + 10), 1);
    assert_true(shut(a));
    assert_false(shut(b));
    assert_false(ct_headers_done(conns[a].c));      /* claimed: answer nothing */
    assert_int_equal(ct_reap(now + 10 * TIMEOUT_MS), 0);   /* never claimed twice */
}

static void test_deadline_restarts_when_idle(void **state)
{
    (void)state;
    int a = open_from("192.0.2.1");
    assert_true(ct_headers_done(conns[a].c));
    int64_t before = ct_now_ms();
    ct_idle(conns[a].c);                            /* response sent: waiting again */
    assert_int_equal(ct_reap(before + TIMEOUT_MS - 50), 0);
    assert_int_equal(ct_reap(ct_now_ms() + TIMEOUT_MS + 10), 1);
    assert_true(shut(a));
    ct_idle(conns[a].c);                            /* idle after a claim stays claimed */
    assert_false(ct_headers_done(conns[a].c));
}

static void test_admit_below_limit(void **state)
{
    (void)state;
    for (int i = 0; i < MAXC - 1; i++)
        open_from("192.0.2.1");
    assert_true(admit("192.0.2.1"));
    open_from("192.0.2.1");
    ct_stats st;
    ct_get_stats(&st);
    assert_int_equal(st.open, MAXC);
    assert_false(admit("192.0.2.1"));                /* full, and the biggest holder */
}

static void test_full_node_makes_room(void **state)
{
    (void)state;
    int first = open_from("192.0.2.1");
    assert_true(ct_headers_done(conns[first].c));     /* busy: never the victim */
    for (int i = 1; i < MAXC; i++)
        open_from("192.0.2.1");
    assert_true(admit("198.51.100.7"));
    int shut_n = 0;
    for (int i = 0; i < MAXC; i++)
        shut_n += shut(i);
    assert_int_equal(shut_n, 1);
    assert_false(shut(first));
    ct_stats st;
    ct_get_stats(&st);
    assert_int_equal(st.evicted, 1);
}

static void test_two_fewer(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++)
        open_from("192.0.2.1");
    for (int i = 0; i < 3; i++)
        open_from("192.0.2.2");
    open_from("192.0.2.3");
    /* full with 4, 3 and 1: the one holding 3 may not take from the one
     * holding 4 (they would take turns), the one holding 1 may */
    assert_false(admit("192.0.2.2"));
    for (int i = 0; i < MAXC; i++)
        assert_false(shut(i));
    assert_true(admit("192.0.2.3"));
    int from_biggest = 0;
    for (int i = 0; i < 4; i++)
        from_biggest += shut(i);
    assert_int_equal(from_biggest, 1);
    for (int i = 4; i < MAXC; i++)
        assert_false(shut(i));
}

static void test_no_waiting_connection_refuses(void **state)
{
    (void)state;
    for (int i = 0; i < MAXC; i++)
        assert_true(ct_headers_done(conns[open_from("192.0.2.1")].c));
    assert_false(admit("198.51.100.7"));
    ct_stats st;
    ct_get_stats(&st);
    assert_int_equal(st.refused, 1);
}

static void test_trusted_proxy(void **state)
{
    (void)state;
    for (int i = 0; i < MAXC + 3; i++) {
        assert_true(admit("10.0.0.1"));             /* always admitted */
        open_from("10.0.0.1");
    }
    assert_true(admit("::ffff:10.0.0.1"));
    assert_false(admit("198.51.100.7"));             /* a proxy is never evicted */
    for (int i = 0; i < nconns; i++)
        assert_false(shut(i));
}

static void test_close_frees_the_address(void **state)
{
    (void)state;
    int a = open_from("2001:db8::1");
    for (int i = 1; i < MAXC; i++)
        open_from("192.0.2.1");
    ct_close(conns[a].c);
    conns[a].c = NULL;
    assert_true(admit("192.0.2.1"));                 /* room again */
    ct_stats st;
    ct_get_stats(&st);
    assert_int_equal(st.open, MAXC - 1);
}

/* A worker marking "headers done" while the reaper claims: every
 * connection ends either served (not shut down) or claimed (shut down and
 * refused), never both, never neither. */
static bool served[MAXT];

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < nconns; i++)
        served[i] = ct_headers_done(conns[i].c);
    return NULL;
}

static void test_claim_races_headers_done(void **state)
{
    (void)state;
    for (int i = 0; i < MAXT; i++)
        open_from(i % 2 ? "192.0.2.1" : "2001:db8::1");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker, NULL), 0);
    size_t reaped = ct_reap(ct_now_ms() + TIMEOUT_MS + 10);
    pthread_join(t, NULL);
    size_t shut_n = 0;
    for (int i = 0; i < MAXT; i++) {
        assert_int_equal(served[i], !shut(i));
        shut_n += !served[i];
    }
    assert_int_equal(shut_n, reaped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deadline_from_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_restarts_when_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admit_below_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_node_makes_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_fewer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_waiting_connection_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trusted_proxy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_frees_the_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_races_headers_done, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
