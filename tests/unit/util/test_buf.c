/* test_buf.c — unit tests for src/util/buf.c: growth, the hard maximum
 * (failed appends leave the buffer untouched), printf, JSON string
 * escaping (checked against jansson), steal, reset and free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "util/buf.h"


/* The buffer holds exactly want (NUL-terminated, len consistent). */
static void expect_contents(const buf *b, const char *want, size_t n)
{
    assert_int_equal(b->len, n);
    assert_non_null(b->p);
    assert_true(b->cap > b->len);
    assert_memory_equal(b->p, want, n);
    assert_int_equal(b->p[n], '\0');
}

/* buf_json_str(s) wrapped in quotes, parsed back by jansson. */
static char *json_round_trip(const char *s)
{
    buf b = BUF_INIT(0);
    json_error_t err;
    json_t *v;
    char *out;
    assert_int_equal(buf_putc(&b, '"'), 0);
    assert_int_equal(buf_json_str(&b, s), 0);
    assert_int_equal(buf_putc(&b, '"'), 0);
    v = json_loadb(b.p, b.len, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("jansson rejected %s: %s", b.p, err.text);
    assert_true(json_is_string(v));
    out = strdup(json_string_value(v));
    json_decref(v);
    buf_free(&b);
    return out;
}

/* ---- appends ----------------------------------------------------------- */

static void test_init(void **state)
{
    buf a = BUF_INIT(0), b = BUF_INIT(17);
    (void)state;
    assert_null(a.p);
    assert_int_equal(a.len, 0);
    assert_int_equal(a.cap, 0);
    assert_int_equal(a.max, 0);
    assert_int_equal(b.max, 17);
    buf_free(&a);                                 /* free of an unused buffer */
    buf_free(&b);
}

static void test_append_basic(void **state)
{
    buf b = BUF_INIT(0);
    (void)state;
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    expect_contents(&b, "abc", 3);
    assert_int_equal(buf_puts(&b, "de"), 0);
    assert_int_equal(buf_putc(&b, 'f'), 0);
    expect_contents(&b, "abcdef", 6);
    assert_int_equal(buf_append(&b, "\0g", 2), 0);    /* binary-safe */
    expect_contents(&b, "abcdef\0g", 8);
    assert_int_equal(buf_puts(&b, ""), 0);
    assert_int_equal(buf_append(&b, "zzz", 0), 0);
    expect_contents(&b, "abcdef\0g", 8);
    buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buf_free(&b);                                 /* idempotent */
}

/* An empty append still yields a valid empty string. */
static void test_append_nothing(void **state)
{
    buf b = BUF_INIT(0);
    (void)state;
    assert_int_equal(buf_append(&b, NULL, 0), 0);
    expect_contents(&b, "", 0);
    buf_free(&b);
}

static void test_growth(void **state)
{
    buf b = BUF_INIT(0);
    size_t total = 1 << 20;
    (void)state;
    for (size_t i = 0; i < total; i++) {
        assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), 0);
        assert_true(b.cap > b.len);
    }
    assert_int_equal(b.len, total);
    for (size_t i = 0; i < total; i++)
        if (b.p[i] != (char)('a' + i % 26))
            fail_msg("byte %zu corrupted", i);
    assert_int_equal(b.p[total], '\0');
    buf_free(&b);
}

static void test_large_appends(void **state)
{
    buf b = BUF_INIT(0);
    char chunk[3000];
    (void)state;
    for (int i = 0; i < 1000; i++) {
        memset(chunk, 'A' + i % 26, sizeof chunk);
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
    }
    assert_int_equal(b.len, 3000000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(b.p[i * 3000 + 2999], 'A' + i % 26);
    buf_free(&b);
}

/* ---- the maximum ------------------------------------------------------- */

static void test_max_exact(void **state)
{
    buf b = BUF_INIT(10);
    (void)state;
    assert_int_equal(buf_append(&b, "0123456789", 10), 0);   /* len == max is fine */
    expect_contents(&b, "0123456789", 10);
    assert_int_equal(buf_putc(&b, 'x'), -1);
    assert_int_equal(buf_puts(&b, "x"), -1);
    assert_int_equal(buf_append(&b, "x", 1), -1);
    assert_int_equal(buf_printf(&b, "%d", 1), -1);
    assert_int_equal(buf_json_str(&b, "x"), -1);
    expect_contents(&b, "0123456789", 10);        /* untouched */
    assert_int_equal(buf_puts(&b, ""), 0);       /* nothing more is fine */
    assert_int_equal(buf_printf(&b, "%s", ""), 0);
    expect_contents(&b, "0123456789", 10);
    buf_free(&b);
}

/* A too-large append fails whole: nothing of it is written. */
static void test_max_all_or_nothing(void **state)
{
    buf b = BUF_INIT(8);
    (void)state;
    assert_int_equal(buf_puts(&b, "abcd"), 0);
    assert_int_equal(buf_puts(&b, "efghi"), -1);
    expect_contents(&b, "abcd", 4);
    assert_int_equal(buf_printf(&b, "%s-%d", "xy", 12), -1);  /* "xy-12": 5 */
    expect_contents(&b, "abcd", 4);
    assert_int_equal(buf_printf(&b, "%s%d", "x", 12), 0);     /* "x12": 3 */
    expect_contents(&b, "abcdx12", 7);
    assert_int_equal(buf_putc(&b, '!'), 0);
    assert_int_equal(buf_putc(&b, '!'), -1);
    expect_contents(&b, "abcdx12!", 8);
    buf_free(&b);
}

static void test_max_from_empty(void **state)
{
    buf b = BUF_INIT(5);
    (void)state;
    assert_int_equal(buf_append(&b, "123456", 6), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_append(&b, "12345", 5), 0);
    expect_contents(&b, "12345", 5);
    buf_free(&b);
}

/* Absurd lengths fail cleanly against a bounded buffer. */
static void test_max_huge_lengths(void **state)
{
    buf b = BUF_INIT(1024);
    (void)state;
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);   /* from empty */
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -1);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 3), -1);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX / 2 + 2), -1);
    expect_contents(&b, "abc", 3);
    buf_free(&b);
}

/* The maximum survives steal and reset. */
static void test_max_kept(void **state)
{
    buf b = BUF_INIT(4);
    char *s;
    (void)state;
    assert_int_equal(buf_puts(&b, "abcd"), 0);
    s = buf_steal(&b);
    free(s);
    assert_int_equal(b.max, 4);
    assert_int_equal(buf_puts(&b, "abcde"), -1);
    assert_int_equal(buf_puts(&b, "abcd"), 0);
    buf_reset(&b);
    assert_int_equal(buf_puts(&b, "abcde"), -1);
    assert_int_equal(buf_puts(&b, "wxyz"), 0);
    expect_contents(&b, "wxyz", 4);
    buf_free(&b);
}

/* ---- printf ------------------------------------------------------------ */

static void test_printf(void **state)
{
    buf b = BUF_INIT(0);
    char big[5000];
    (void)state;
    assert_int_equal(buf_printf(&b, "%s=%d", "n", -42), 0);
    expect_contents(&b, "n=-42", 5);
    assert_int_equal(buf_printf(&b, " %05.1f|%x|%c|%zu", 3.14159, 255u, 'q', (size_t)7), 0);
    expect_contents(&b, "n=-42 003.1|ff|q|7", 18);
    assert_int_equal(buf_printf(&b, "%s", ""), 0);
    expect_contents(&b, "n=-42 003.1|ff|q|7", 18);
    buf_reset(&b);

    memset(big, 'z', sizeof big - 1);             /* forces several doublings */
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_printf(&b, "<%s>", big), 0);
    assert_int_equal(b.len, sizeof big + 1);
    assert_int_equal(b.p[0], '<');
    assert_int_equal(b.p[sizeof big], '>');
    assert_int_equal(b.p[sizeof big + 1], '\0');
    buf_free(&b);

    assert_int_equal(buf_printf(&b, "%s", ""), 0);   /* on a fresh buffer */
    expect_contents(&b, "", 0);
    buf_free(&b);
}

/* ---- JSON strings ------------------------------------------------------ */

static void check_json(const char *in, const char *want)
{
    buf b = BUF_INIT(0);
    assert_int_equal(buf_json_str(&b, in), 0);
    if (strcmp(b.p ? b.p : "", want) != 0)
        fail_msg("escaped \"%s\" as \"%s\", want \"%s\"", in, b.p, want);
    buf_free(&b);
}

static void test_json_escapes(void **state)
{
    (void)state;
    check_json("", "");
    check_json("plain text", "plain text");
    check_json("a\"b", "a\\\"b");
    check_json("a\\b", "a\\\\b");
    check_json("\\\"", "\\\\\\\"");
    check_json("\"\"", "\\\"\\\"");
    check_json("line\nnext", "line\\u000anext");
    check_json("\t\r\b\f", "\\u0009\\u000d\\u0008\\u000c");
    check_json("\x01\x1f", "\\u0001\\u001f");
    check_json("\x7f", "\x7f");                   /* DEL needs no escape */
    check_json(" /<>'", " /<>'");
    check_json("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80",
               "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80");  /* UTF-8 passes through */
}

/* Every control character is escaped as \u00XX, nothing else below 0x80
 * but quote and backslash is touched. */
static void test_json_every_ascii(void **state)
{
    (void)state;
    for (int c = 1; c < 0x80; c++) {
        char in[2] = { (char)c, '\0' }, want[8];
        if (c < 0x20)
            snprintf(want, sizeof want, "\\u%04x", c);
        else if (c == '"' || c == '\\')
            snprintf(want, sizeof want, "\\%c", c);
        else
            snprintf(want, sizeof want, "%c", c);
        check_json(in, want);
    }
}

/* Whatever goes in comes back out of a real JSON parser. */
static void test_json_round_trip(void **state)
{
    char all[128];
    static const char *const samples[] = {
        "", "\"", "\\", "\\\\\"\"", "a\"b\\c\nd\te\x01",
        "{\"injected\": true}", "</script>", "\xe2\x80\xa8\xe2\x80\xa9",
        "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80",
    };
    (void)state;
    for (int c = 1; c < 128; c++)
        all[c - 1] = (char)c;
    all[127] = '\0';
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        char *out = json_round_trip(samples[i]);
        assert_string_equal(out, samples[i]);
        free(out);
    }
    char *out = json_round_trip(all);
    assert_string_equal(out, all);
    free(out);
}

/* Escapes count against the maximum. */
static void test_json_max(void **state)
{
    buf b = BUF_INIT(6);
    (void)state;
    assert_int_equal(buf_json_str(&b, "\n"), 0);  /* exactly 6 bytes */
    expect_contents(&b, "\\u000a", 6);
    assert_int_equal(buf_json_str(&b, "\""), -1);
    buf_free(&b);
    b = (buf)BUF_INIT(5);
    assert_int_equal(buf_json_str(&b, "\n"), -1);
    assert_true(b.len <= 5);
    buf_free(&b);
}

/* ---- steal, reset ------------------------------------------------------ */

static void test_steal(void **state)
{
    buf b = BUF_INIT(0);
    char *s;
    (void)state;
    assert_int_equal(buf_puts(&b, "hello"), 0);
    s = buf_steal(&b);
    assert_string_equal(s, "hello");
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(buf_puts(&b, "again"), 0);   /* reusable */
    expect_contents(&b, "again", 5);
    assert_string_equal(s, "hello");              /* independent of b */
    free(s);
    buf_free(&b);
}

/* Stealing from a never-used buffer gives a freeable empty string. */
static void test_steal_empty(void **state)
{
    buf b = BUF_INIT(0);
    char *s;
    (void)state;
    s = buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    s = buf_steal(&b);                            /* twice */
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    buf_free(&b);
}

static void test_reset(void **state)
{
    buf b = BUF_INIT(0);
    size_t cap;
    char *p;
    (void)state;
    buf_reset(&b);                                /* on an unused buffer */
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_puts(&b, "some text"), 0);
    cap = b.cap;
    p = b.p;
    buf_reset(&b);
    expect_contents(&b, "", 0);
    assert_int_equal(b.cap, cap);                 /* memory kept */
    assert_ptr_equal(b.p, p);
    assert_int_equal(buf_puts(&b, "new"), 0);
    expect_contents(&b, "new", 3);
    buf_free(&b);
}

/* ---- regressions (bugs found and fixed) ---------------------------- */

/* Regression: buf_reserve() overflow guards. With extra == SIZE_MAX and
 * len > 0, need = len + extra + 1 wraps to exactly len, so `need < b->len`
 * misses it, and the max test `b->len + extra > b->max` wraps to len - 1
 * and passes too: buf_append returns 0 after memcpy(…, SIZE_MAX) and
 * len += SIZE_MAX (len goes down by one) — even on a bounded buffer. */
static void test_regression_size_max_on_bounded(void **state)
{
    buf b = BUF_INIT(1024);
    (void)state;
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
    expect_contents(&b, "abc", 3);
    buf_free(&b);
}

/* Regression: with max == 0 (unlimited) and extra > SIZE_MAX / 2 the capacity
 * doubling `cap *= 2` in buf_reserve() wraps to 0 and `while (cap < need)`
 * never ends (the call hangs); with len == 0 and extra == SIZE_MAX, need
 * wraps to 0 and the append "succeeds" as above. Both should return -1. */
static void test_regression_unbounded_huge_length(void **state)
{
    buf b = BUF_INIT(0);
    (void)state;
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX / 2 + 2), -1);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_append_basic),
        cmocka_unit_test(test_append_nothing),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_large_appends),
        cmocka_unit_test(test_max_exact),
        cmocka_unit_test(test_max_all_or_nothing),
        cmocka_unit_test(test_max_from_empty),
        cmocka_unit_test(test_max_huge_lengths),
        cmocka_unit_test(test_max_kept),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_every_ascii),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_max),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_steal_empty),
        cmocka_unit_test(test_reset),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(test_regression_size_max_on_bounded),
        cmocka_unit_test(test_regression_unbounded_huge_length),
    };
    int failed = cmocka_run_group_tests_name("util/buf", tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("util/buf regressions", bugs, NULL, NULL);
}
