/* test_json_indent.c — unit tests for src/imports/json_indent.c. The
 * expected texts are Python 3.11's json.dumps(json.loads(s), indent=2)
 * and repr(float). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "imports/json_indent.h"

static char *indent(const char *s, int ind, int want_rc)
{
    char *out = NULL;
    size_t n = 0;
    int rc = imp_json_indent(s, strlen(s), ind, 0, &out, &n);
    assert_int_equal(rc, want_rc);
    if (rc == 0)
        assert_int_equal(n, strlen(out));
    else
        assert_null(out);
    return out;
}

static void test_python_indent2(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "{\"a\":[1,{\"b\":[]},{}],\"c\":\"\\ud83d\\ude00\\u0007\\u007f/\\\"\",\"a\":2}",
          "{\n  \"a\": 2,\n  \"c\": \"\\ud83d\\ude00\\u0007\\u007f/\\\"\"\n}" },
        { "[]", "[]" },
        { "{}", "{}" },
        { "\"x\"", "\"x\"" },
        { " [ -0, 10, 1E2 ] ", "[\n  0,\n  10,\n  100.0\n]" },
        { "{\"k\":{\"n\":[true,false,null]}}",
          "{\n  \"k\": {\n    \"n\": [\n      true,\n      false,\n      null\n    ]\n  }\n}" },
        { "\"caf\xC3\xA9 \\t\\n\\r\\b\\f\\\\\"", "\"caf\\u00e9 \\t\\n\\r\\b\\f\\\\\"" },
        { "{\"\\u00e9\":1.50}", "{\n  \"\\u00e9\": 1.5\n}" },
        { "\"nul\\u0000here\"", "\"nul\\u0000here\"" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = indent(cases[i].in, 2, 0);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got [%s]", i, out);
        free(out);
    }
}

static void test_oneline(void **state)
{
    char *out = indent("{\"a\":[1,2,{}],\"b\":{\"c\":[]}}", IMP_JSON_ONELINE, 0);
    (void)state;
    assert_string_equal(out, "{ \"a\": [ 1, 2, {} ], \"b\": { \"c\": [] } }");
    free(out);
}

static void test_not_json(void **state)
{
    static const char *const bad[] = {
        "", "{", "{\"a\":1,}", "[1] [2]", "NaN", "Infinity", "{broken}", "'x'",
        "\"\\ud800\"", "123456789012345678901234567890", "1e400", "01",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        indent(bad[i], 2, 1);
}

static void test_depth(void **state)
{
    char deep_ok[990 * 2 + 1], too_deep[992 * 2 + 1];
    char *out;
    (void)state;
    memset(deep_ok, '[', 990);
    memset(deep_ok + 990, ']', 990);
    deep_ok[1980] = '\0';
    memset(too_deep, '[', 992);
    memset(too_deep + 992, ']', 992);
    too_deep[1984] = '\0';
    out = indent(deep_ok, IMP_JSON_ONELINE, 0);
    free(out);
    indent(too_deep, 2, 1);
}

static void test_max(void **state)
{
    char *out = (char *)1;
    (void)state;
    assert_int_equal(imp_json_indent("[1,2,3]", 7, 2, 8, &out, NULL), -1);
    assert_null(out);
}

static void test_repr_double(void **state)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        { 0.0, "0.0" }, { -0.0, "-0.0" }, { 1.0, "1.0" }, { 1.5, "1.5" }, { 0.1, "0.1" },
        { 1e16, "1e+16" }, { 1e15, "1000000000000000.0" },
        { 123456789012345678.0, "1.2345678901234568e+17" }, { 1e-4, "0.0001" },
        { 1e-5, "1e-05" }, { 1.5e-7, "1.5e-07" }, { 5e-324, "5e-324" },
        { 1.7976931348623157e308, "1.7976931348623157e+308" }, { 100.0, "100.0" },
        { 2.5e22, "2.5e+22" }, { 0.000123, "0.000123" }, { 12345.678, "12345.678" },
        { -3.0e-10, "-3e-10" },
    };
    char out[40];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        imp_json_repr_double(cases[i].v, out, sizeof out);
        assert_string_equal(out, cases[i].want);
    }
}

/* The output cap holds at every byte: each cap below the full length
 * fails cleanly (-1, no output), the full length succeeds. */
static void test_max_every_byte(void **state)
{
    static const char *const docs[] = {
        "{\"a\":[1,{\"b\":[]},{}],\"k\\u00e9\\ud83d\\ude00\":\"x\\n\\\"y\\u0001\",\"n\":{\"t\":[true,null,1.5]}}",
        "[\"\\u20ac\",[[]],{\"\":{}}]",
    };
    (void)state;
    for (size_t d = 0; d < sizeof docs / sizeof *docs; d++) {
        for (int k = 0; k < 2; k++) {
            int ind = k ? 2 : IMP_JSON_ONELINE;
            char *full = NULL, *out;
            size_t fn = 0, n;
            assert_int_equal(imp_json_indent(docs[d], strlen(docs[d]), ind, 0, &full, &fn), 0);
            for (size_t max = 1; max < fn; max++) {
                out = (char *)1;
                assert_int_equal(imp_json_indent(docs[d], strlen(docs[d]), ind, max, &out, &n), -1);
                assert_null(out);
            }
            assert_int_equal(imp_json_indent(docs[d], strlen(docs[d]), ind, fn, &out, NULL), 0);
            assert_string_equal(out, full);
            free(out);
            free(full);
        }
    }
}

/* What Python's json.dumps writes for the non-finite floats. */
static void test_repr_nonfinite(void **state)
{
    char out[40];
    (void)state;
    imp_json_repr_double(NAN, out, sizeof out);
    assert_string_equal(out, "NaN");
    imp_json_repr_double(INFINITY, out, sizeof out);
    assert_string_equal(out, "Infinity");
    imp_json_repr_double(-INFINITY, out, sizeof out);
    assert_string_equal(out, "-Infinity");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_indent2),
        cmocka_unit_test(test_oneline),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_max),
        cmocka_unit_test(test_repr_double),
        cmocka_unit_test(test_max_every_byte),
        cmocka_unit_test(test_repr_nonfinite),
    };
    return cmocka_run_group_tests_name("imports/json_indent", tests, NULL, NULL);
}
