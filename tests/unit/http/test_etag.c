/* test_etag.c — src/http/etag.c: strong tags from a digest (distinct for
 * distinct inputs, stable for equal ones, string boundaries kept) and
 * If-None-Match under RFC 9110's grammar and weak comparison: lists,
 * W/ prefixes, "*", empty elements, and every malformed value ignored. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/etag.h"

#include <string.h>

static void tag_of(const char *a, const char *b, long long n, char out[ETAG_MAX])
{
    etag_hash h;
    etag_begin(&h);
    etag_add_str(&h, a);
    etag_add_str(&h, b);
    etag_add_int(&h, n);
    etag_end(&h, out);
}

static void test_format_and_distinct(void **state)
{
    (void)state;
    char t1[ETAG_MAX], t2[ETAG_MAX], t3[ETAG_MAX], t4[ETAG_MAX], t5[ETAG_MAX];
    tag_of("a", "bc", 1, t1);
    tag_of("a", "bc", 1, t2);
    tag_of("ab", "c", 1, t3);       /* same bytes, other boundary */
    tag_of("a", "bc", 2, t4);
    tag_of("a", NULL, 1, t5);
    assert_string_equal(t1, t2);
    assert_int_equal(strlen(t1), 2 + 2 * ETAG_DIGEST);
    assert_int_equal(t1[0], '"');
    assert_int_equal(t1[strlen(t1) - 1], '"');
    for (size_t i = 1; i + 1 < strlen(t1); i++)
        assert_non_null(strchr("0123456789abcdef", t1[i]));
    assert_string_not_equal(t1, t3);
    assert_string_not_equal(t1, t4);
    assert_string_not_equal(t1, t5);
}

static void test_matches(void **state)
{
    (void)state;
    const char *tag = "\"abc123\"";
    assert_true(etag_matches("\"abc123\"", tag));
    assert_true(etag_matches("W/\"abc123\"", tag));          /* weak comparison */
    assert_true(etag_matches("\"x\", \"abc123\"", tag));
    assert_true(etag_matches("\"x\",W/\"abc123\" ,\"y\"", tag));
    assert_true(etag_matches(" , \"abc123\" ,", tag));        /* empty elements */
    assert_true(etag_matches("*", tag));
    assert_true(etag_matches("  *  ", tag));
    assert_false(etag_matches("\"abc12\"", tag));
    assert_false(etag_matches("\"abc1234\"", tag));
    assert_false(etag_matches("\"ABC123\"", tag));
    assert_false(etag_matches("", tag));
    assert_false(etag_matches(NULL, tag));
    assert_false(etag_matches("\"abc123\"", NULL));
}

static void test_malformed_ignored(void **state)
{
    (void)state;
    const char *tag = "\"abc123\"";
    static const char *const bad[] = {
        "abc123",                       /* unquoted */
        "\"abc123",                     /* unterminated */
        "\"abc123\" \"abc123\"",        /* no comma */
        "\"abc123\", garbage",
        "w/\"abc123\"",                 /* W is case-sensitive */
        "W/ \"abc123\"",
        "\"ab c\", \"abc123\"",         /* space inside a tag */
        "\"a\"b\", \"abc123\"",
        "*, \"abc123\"",
        "**",
        "\"abc123\"\x01",
        ",,,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(etag_matches(bad[i], tag));
}

/* The static files' tags (size-mtime.nsec-inode, http/static.c) go through
 * the same parser: a value that is not a list of tags matches nothing, even
 * when one of its tags is right (the static files once had a lenient parser
 * of their own that answered 304 to these). */
static void test_static_file_tags(void **state)
{
    (void)state;
    const char *tag = "\"1f-65a.0-9\"";
    assert_true(etag_matches("\"1f-65a.0-9\"", tag));
    assert_true(etag_matches("\"x\",W/\"1f-65a.0-9\"", tag));
    assert_false(etag_matches("\"1f-65a.0-9-gz\"", tag));
    assert_false(etag_matches("\"1f-65a.0-\"", tag));
    assert_false(etag_matches("\"1f-65a.0-9\" junk", tag));
    assert_false(etag_matches("\"1f-65a.0-9\" \"x\"", tag));
    assert_false(etag_matches("\"x\", *", tag));
    assert_false(etag_matches("\"x\" junk \"1f-65a.0-9\"", tag));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_distinct),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_malformed_ignored),
        cmocka_unit_test(test_static_file_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
