/* test_headers.c — src/http/headers.c: the bearer token of Authorization
 * (scheme in any case, exactly one space, one token), Accept naming an
 * event stream, and which X-Request-Id values are echoed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/headers.h"

#include <string.h>

static void test_bearer(void **state)
{
    (void)state;
    const char *tok = "x";
    assert_int_equal(hdr_bearer("Bearer abc.def", &tok), HDR_BEARER_OK);
    assert_string_equal(tok, "abc.def");
    assert_int_equal(hdr_bearer("bEARER t", &tok), HDR_BEARER_OK);
    assert_string_equal(tok, "t");
    static const char *const missing[] = { "", "Basic abc", "Bearerx abc", "Beare abc",
                                           " Bearer abc", "Bearer\tabc", "Token" };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        assert_int_equal(hdr_bearer(missing[i], &tok), HDR_BEARER_MISSING);
        assert_null(tok);
    }
    assert_int_equal(hdr_bearer(NULL, &tok), HDR_BEARER_MISSING);
    static const char *const malformed[] = { "Bearer", "Bearer ", "Bearer  abc", "Bearer a b",
                                             "Bearer abc " };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        assert_int_equal(hdr_bearer(malformed[i], &tok), HDR_BEARER_MALFORMED);
        assert_null(tok);
    }
}

static void test_event_stream(void **state)
{
    (void)state;
    assert_true(hdr_accepts_event_stream("text/event-stream"));
    assert_true(hdr_accepts_event_stream("application/json, TEXT/Event-Stream;q=0.5"));
    assert_false(hdr_accepts_event_stream(NULL));
    assert_false(hdr_accepts_event_stream(""));
    assert_false(hdr_accepts_event_stream("application/json"));
    assert_false(hdr_accepts_event_stream("text/event-strea"));
    assert_false(hdr_accepts_event_stream("text/*"));
}

static void test_request_id(void **state)
{
    (void)state;
    assert_true(hdr_request_id_ok("a", 65));
    assert_true(hdr_request_id_ok("req-1.2_X", 65));
    char longest[65];
    memset(longest, 'a', 64);
    longest[64] = '\0';
    assert_true(hdr_request_id_ok(longest, 65));
    assert_false(hdr_request_id_ok(longest, 64));
    assert_false(hdr_request_id_ok(NULL, 65));
    assert_false(hdr_request_id_ok("", 65));
    assert_false(hdr_request_id_ok("a b", 65));
    assert_false(hdr_request_id_ok("a\r\nX-Evil: 1", 65));
    assert_false(hdr_request_id_ok("caf\xc3\xa9", 65));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_event_stream),
        cmocka_unit_test(test_request_id),
    };
    return cmocka_run_group_tests_name("http/headers", tests, NULL, NULL);
}
