/* test_text.c — unit tests for src/imports/text.c: strict code point
 * decoding, Python's whitespace set, UTF-8-else-Latin-1 decoding, repair
 * of ill-formed UTF-8, the whitespace/control normaliser and code-point
 * cuts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imports/text.h"

#define LIT(s) s, sizeof s - 1

static void test_utf8_next(void **state)
{
    static const struct {
        const char *s;
        size_t len, n;
        uint32_t cp;
    } cases[] = {
        { LIT("A"), 1, 'A' },
        { LIT("\xC3\xA9"), 2, 0xE9 },
        { LIT("\xE2\x82\xAC"), 3, 0x20AC },
        { LIT("\xF0\x9F\x98\x80"), 4, 0x1F600 },
        { LIT("\xC0\x80"), 0, 0 },              /* overlong NUL */
        { LIT("\xED\xA0\x80"), 0, 0 },          /* surrogate */
        { LIT("\xF4\x90\x80\x80"), 0, 0 },      /* > U+10FFFF */
        { LIT("\xE2\x82"), 0, 0 },              /* truncated */
        { LIT("\x80"), 0, 0 },                  /* lone continuation */
        { LIT("\xFF"), 0, 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint32_t cp = 0;
        size_t n = imp_utf8_next(cases[i].s, cases[i].len, 0, &cp);
        assert_int_equal(n, cases[i].n);
        if (n)
            assert_int_equal(cp, cases[i].cp);
    }
    uint32_t cp;
    assert_int_equal(imp_utf8_next("", 0, 0, &cp), 0);
}

static void test_is_space_and_control(void **state)
{
    (void)state;
    static const uint32_t space[] = { 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1F, 0x20, 0x85,
                                      0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F,
                                      0x205F, 0x3000 };
    static const uint32_t not_space[] = { 0x00, 0x08, 0x0E, 0x1B, 0x21, 0x84, 0x200B, 0xFEFF,
                                          0x180E };
    for (size_t i = 0; i < sizeof space / sizeof *space; i++)
        assert_true(imp_is_space(space[i]));
    for (size_t i = 0; i < sizeof not_space / sizeof *not_space; i++)
        assert_false(imp_is_space(not_space[i]));
    assert_true(imp_is_control(0x00));
    assert_true(imp_is_control(0x1F));
    assert_true(imp_is_control(0x7F));
    assert_true(imp_is_control(0x9F));
    assert_false(imp_is_control(0x20));
    assert_false(imp_is_control(0xA0));
    assert_false(imp_is_control(0xFEFF));
}

static void test_decode(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
        size_t wantlen;
    } cases[] = {
        { LIT("plain"), LIT("plain") },
        { LIT("caf\xC3\xA9"), LIT("caf\xC3\xA9") },                   /* UTF-8 kept */
        { LIT("\xEF\xBB\xBF" "bom"), LIT("bom") },                     /* BOM dropped */
        { LIT("caf\xE9"), LIT("caf\xC3\xA9") },                       /* Latin-1 */
        { LIT("\x80\xFF"), LIT("\xC2\x80\xC3\xBF") },
        { LIT("a\0b"), LIT("a\0b") },                                   /* NUL kept */
        { LIT("\xED\xA0\x80"), LIT("\xC3\xAD\xC2\xA0\xC2\x80") },     /* surrogate → Latin-1 */
        { LIT(""), LIT("") },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = 99;
        char *out = imp_decode_text(cases[i].in, cases[i].len, &n);
        assert_non_null(out);
        assert_int_equal(n, cases[i].wantlen);
        assert_memory_equal(out, cases[i].want, n);
        assert_int_equal(out[n], '\0');
        free(out);
    }
}

static void test_sanitize(void **state)
{
    size_t n;
    char *out;
    (void)state;
    out = imp_utf8_sanitize(LIT("ok\xC3\xA9\xFF\xE2\x82x\xF0\x9F\x98\x80"), &n);
    assert_string_equal(out, "ok\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx\xF0\x9F\x98\x80");
    assert_int_equal(n, strlen(out));
    free(out);
    out = imp_utf8_sanitize(LIT(""), &n);
    assert_string_equal(out, "");
    assert_int_equal(n, 0);
    free(out);
}

static void test_normalize(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        { LIT("  hello   world \n"), "hello world" },
        { LIT("a\r\n\tb"), "a b" },
        { LIT("a\xC2\xA0\xE3\x80\x80" "b"), "a b" },           /* NBSP, ideographic space */
        { LIT("a\x1C\x1D\x1E\x1F" "b"), "a b" },               /* Python counts these as \s */
        { LIT("a\xC2\x85" "b"), "a b" },                       /* U+0085 too */
        { LIT("a\0b\x01" "c\x7F" "d\xC2\x9F" "e"), "abcde" },  /* other controls deleted */
        { LIT("a \0 b"), "a b" },                              /* no double space left */
        { LIT("\0 \0lead"), "lead" },
        { LIT("trail \x01 "), "trail" },
        { LIT("zero\xE2\x80\x8Bwidth"), "zero\xE2\x80\x8Bwidth" }, /* U+200B is not \s */
        { LIT("bad\xFF" "byte"), "bad\xEF\xBF\xBD" "byte" },
        { LIT(" \t\n "), "" },
        { LIT(""), "" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        char *out = imp_normalize(cases[i].in, cases[i].len, &n);
        assert_non_null(out);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
        free(out);
    }
}

static void test_collapse_keeps_controls(void **state)
{
    size_t n;
    char *out = imp_collapse(LIT("  a\x01  b \n"), IMP_COLLAPSE_WS, &n);
    (void)state;
    assert_string_equal(out, "a\x01 b");
    free(out);
}

static void test_cut(void **state)
{
    size_t n;
    char *out;
    (void)state;
    out = imp_cut(LIT("h\xC3\xA9llo"), 2, "...", &n);
    assert_string_equal(out, "h\xC3\xA9...");
    assert_int_equal(n, 6);
    free(out);
    out = imp_cut(LIT("h\xC3\xA9llo"), 5, "...", &n);
    assert_string_equal(out, "h\xC3\xA9llo");                    /* not longer: no suffix */
    free(out);
    out = imp_cut(LIT("abc"), 0, "!", &n);
    assert_string_equal(out, "!");
    free(out);
    assert_int_equal(imp_cp_len(LIT("h\xC3\xA9\xF0\x9F\x98\x80")), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_next),
        cmocka_unit_test(test_is_space_and_control),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_collapse_keeps_controls),
        cmocka_unit_test(test_cut),
    };
    return cmocka_run_group_tests_name("imports/text", tests, NULL, NULL);
}
