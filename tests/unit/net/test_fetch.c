/* test_fetch.c — unit tests for src/net/fetch.c, and through it for the
 * transfer rules of src/net/xfer.c that the engine shares: answers, the
 * request as sent, HTTP errors, redirects followed only when asked, the
 * body cap, timeouts, refused connections and protocols, and the
 * public-address check (loopback refused unless allowed). Against the
 * canned server of net/canned.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/canned.h"
#include "net/fetch.h"

typedef struct got {
    int calls;
    net_result res;             /* body copied */
} got;

static void on_done(void *ctx, const net_result *res)
{
    got *g = ctx;
    g->calls++;
    g->res = *res;
    g->res.body = malloc(res->len + 1);
    assert_non_null(g->res.body);
    memcpy(g->res.body, res->body, res->len + 1);
}

/* Fetches path of the canned server (or a whole URL) with req's settings. */
static void fetch(got *g, const char *path, net_request *req)
{
    char url[256];
    if (strstr(path, "://"))
        snprintf(url, sizeof url, "%s", path);
    else
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
    memset(g, 0, sizeof *g);
    req->url = strdup(url);
    if (!req->timeout_s)
        req->timeout_s = 5;
    net_fetch(req, on_done, g);
    assert_int_equal(g->calls, 1);
    free(req->url);
    req->url = NULL;
}

static void got_free(got *g)
{
    free(g->res.body);
    g->res.body = NULL;
}

static void test_answers(void **state)
{
    net_request req = { 0 };
    got g;
    (void)state;
    fetch(&g, "/ok", &req);
    assert_int_equal(g.res.status, 200);
    assert_string_equal(g.res.body, "hello");
    assert_false(g.res.transport_failed || g.res.timed_out || g.res.too_large);
    got_free(&g);
    fetch(&g, "/status/500", &req);
    assert_int_equal(g.res.status, 500);
    assert_string_equal(g.res.body, "{\"error\":{\"message\":\"no\"}}");
    got_free(&g);
}

static void test_request_as_sent(void **state)
{
    net_request req = { 0 };
    got g;
    (void)state;
    assert_int_equal(net_req_init(&req, "http://x", "", 5), 0);
    free(req.url);
    req.url = NULL;
    assert_int_equal(net_req_header(&req, "X-Test: %d", 1), 0);
    assert_int_equal(net_req_json(&req, json_pack("{s:i}", "a", 1)), 0);
    req.user_agent = "agent/1";
    fetch(&g, "/echo", &req);
    const char *sent = g.res.body;
    assert_true(strncmp(sent, "POST /echo HTTP/1.1\r\n", 21) == 0);
    assert_non_null(strstr(sent, "\r\nX-Test: 1\r\n"));
    assert_non_null(strstr(sent, "\r\nUser-Agent: agent/1\r\n"));
    assert_null(strstr(sent, "Expect:"));
    assert_string_equal(strstr(sent, "\r\n\r\n") + 4, "{\"a\":1}");
    got_free(&g);
    net_request_free(&req);
}

static void test_redirects(void **state)
{
    net_request req = { 0 };
    got g;
    (void)state;
    fetch(&g, "/redirect", &req);
    assert_int_equal(g.res.status, 302);
    got_free(&g);
    req.flags = NET_REQ_FOLLOW;
    fetch(&g, "/redirect", &req);
    assert_int_equal(g.res.status, 200);
    assert_string_equal(g.res.body, "hello");
    got_free(&g);
}

static void test_limits(void **state)
{
    net_request req = { .max_body = 64 * 1024 };
    got g;
    (void)state;
    fetch(&g, "/huge-unannounced", &req);
    assert_int_equal(g.res.too_large, 1);
    assert_int_equal(g.res.transport_failed, NET_FAILED);
    assert_int_equal(g.res.len, 0);
    assert_string_equal(g.res.error, "Response too large");
    got_free(&g);
    req.timeout_s = 1;
    fetch(&g, "/sleep/3000", &req);
    assert_int_equal(g.res.timed_out, 1);
    assert_int_equal(g.res.status, 0);
    got_free(&g);
}

static void test_failures(void **state)
{
    net_request req = { 0 };
    got g;
    (void)state;
    fetch(&g, "/drop", &req);
    assert_int_equal(g.res.transport_failed, NET_UNREACHABLE);
    assert_true(strlen(g.res.error) > 0);
    got_free(&g);
    fetch(&g, "file:///etc/hostname", &req);
    assert_int_equal(g.res.transport_failed, NET_FAILED);
    assert_int_equal(g.res.len, 0);
    got_free(&g);
}

static void test_public_only(void **state)
{
    static char *const allowed[] = { "127.0.0.1", NULL };
    net_request req = { .flags = NET_REQ_PUBLIC_ONLY };
    got g;
    (void)state;
    fetch(&g, "/ok", &req);
    assert_int_equal(g.res.blocked, 1);
    assert_int_equal(g.res.status, 0);
    assert_string_equal(g.res.error, "address 127.0.0.1 is not public (private, loopback, "
                                     "link-local or multicast)");
    got_free(&g);
    req.allow_addrs = allowed;
    fetch(&g, "/ok", &req);
    assert_int_equal(g.res.status, 200);
    got_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_request_as_sent),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_public_only),
    };
    return cmocka_run_group_tests_name("net/fetch", tests, server_start, server_stop);
}
