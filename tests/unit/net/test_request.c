/* test_request.c — unit tests for src/net/request.c: the URL from base and
 * path, percent-encoding of appended parts, headers in order, the JSON
 * body, idempotent freeing, and which keys may travel in a header. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/request.h"

static void test_build(void **state)
{
    net_request r;
    (void)state;
    assert_int_equal(net_req_init(&r, "https://h/v1", "/models?key=", 7), 0);
    assert_int_equal(r.timeout_s, 7);
    assert_int_equal(net_req_url_add(&r, "a b/&=~-._Z9\xC3\xA9", 1), 0);
    assert_int_equal(net_req_url_add(&r, ":x?y", 0), 0);
    assert_string_equal(r.url, "https://h/v1/models?key=a%20b%2F%26%3D~-._Z9%C3%A9:x?y");
    assert_int_equal(net_req_header(&r, "A: %s", "1"), 0);
    assert_int_equal(net_req_header(&r, "B: %d", 2), 0);
    assert_string_equal(r.headers[0], "A: 1");
    assert_string_equal(r.headers[1], "B: 2");
    assert_null(r.headers[2]);
    assert_null(r.body);
    assert_int_equal(net_req_json(&r, json_pack("{s:s}", "k", "v\"")), 0);
    assert_string_equal(r.body, "{\"k\":\"v\\\"\"}");
    net_request_free(&r);
    assert_null(r.url);
    net_request_free(&r);                   /* idempotent */
    net_request_free(NULL);
}

static void test_failures_free(void **state)
{
    net_request r;
    (void)state;
    assert_int_equal(net_req_init(&r, "http://h", "/p", 1), 0);
    assert_int_equal(net_req_header(&r, "X: 1"), 0);
    assert_int_equal(net_req_json(&r, NULL), -1);   /* no body: freed */
    assert_null(r.url);
    assert_null(r.headers);
}

static void test_keys(void **state)
{
    (void)state;
    assert_true(net_key_ok("sk-abc 123"));
    assert_false(net_key_ok(""));
    assert_false(net_key_ok(NULL));
    assert_false(net_key_ok("k\r\nX-Evil: 1"));
    assert_false(net_key_ok("k\x7f"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_failures_free),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests_name("net/request", tests, NULL, NULL);
}
