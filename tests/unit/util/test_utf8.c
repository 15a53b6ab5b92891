/* test_utf8.c — unit tests for src/util/utf8.c: validity against a
 * reference decoder (overlongs, surrogates, > U+10FFFF, truncation),
 * code point counts, prefixes that never cut a sequence, and strip with
 * exactly Python's whitespace set (checked over every code point). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/utf8.h"

/* Python 3.11: [c for c in range(0x110000) if chr(c).isspace()] — which
 * is also exactly what str.strip() removes. */
static const uint32_t PY_SPACE[] = {
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0,
    0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
    0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
};

static bool py_space(uint32_t c)
{
    for (size_t i = 0; i < sizeof PY_SPACE / sizeof *PY_SPACE; i++)
        if (PY_SPACE[i] == c)
            return true;
    return false;
}

/* Encodes c (any scalar value) into out; returns the byte length. */
static size_t enc(uint32_t c, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | c >> 6);
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | c >> 12);
        o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | c >> 18);
    o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* Reference: the well-formed byte sequences of Unicode 15, Table 3-7.
 * Returns the length of the sequence at s, 0 if ill-formed. */
static size_t ref_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c <= 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return n;
}

static bool ref_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = ref_seq(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

static void expect_valid(const char *s, size_t len, bool want)
{
    if (utf8_valid(s, len) != want) {
        char hex[64] = "";
        for (size_t i = 0; i < len && i < 16; i++)
            snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02X ", (unsigned char)s[i]);
        fail_msg("utf8_valid(%s) != %d", hex, want);
    }
}

#define VALID(lit) expect_valid(lit, sizeof lit - 1, true)
#define INVALID(lit) expect_valid(lit, sizeof lit - 1, false)

static uint64_t lcg_state = 0x2545f4914f6cdd1du;

static uint32_t lcg_next(void)
{
    lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(lcg_state >> 33);
}

/* A random scalar value, biased towards each encoding length. */
static uint32_t random_scalar(void)
{
    for (;;) {
        uint32_t c;
        switch (lcg_next() % 4) {
        case 0: c = lcg_next() % 0x80; break;
        case 1: c = 0x80 + lcg_next() % 0x780; break;
        case 2: c = 0x800 + lcg_next() % 0xF800; break;
        default: c = 0x10000 + lcg_next() % 0x100000; break;
        }
        if (c < 0xD800 || c > 0xDFFF)
            return c;
    }
}

/* ---- validity ---------------------------------------------------------- */

static void test_valid_known(void **state)
{
    (void)state;
    VALID("");
    VALID("hello");
    VALID("\x00");                                /* NUL is a code point */
    VALID("a\x00z");
    VALID("\x7f");
    VALID("\xc2\x80");                            /* U+0080 */
    VALID("\xc3\xa9");                            /* é */
    VALID("\xdf\xbf");                            /* U+07FF */
    VALID("\xe0\xa0\x80");                        /* U+0800 */
    VALID("\xe6\x97\xa5\xe6\x9c\xac");            /* 日本 */
    VALID("\xed\x9f\xbf");                        /* U+D7FF */
    VALID("\xee\x80\x80");                        /* U+E000 */
    VALID("\xef\xbb\xbf");                        /* U+FEFF */
    VALID("\xef\xbf\xbd");                        /* U+FFFD */
    VALID("\xef\xbf\xbf");                        /* U+FFFF (noncharacter, valid) */
    VALID("\xf0\x90\x80\x80");                    /* U+10000 */
    VALID("\xf0\x9f\x98\x80");                    /* 😀 */
    VALID("\xf4\x8f\xbf\xbf");                    /* U+10FFFF */
    VALID("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80z");
}

static void test_invalid_known(void **state)
{
    (void)state;
    /* lone continuation bytes and impossible bytes */
    INVALID("\x80");
    INVALID("\xbf");
    INVALID("a\x80z");
    INVALID("\xfe");
    INVALID("\xff");
    INVALID("\xf8\x88\x80\x80\x80");              /* 5-byte form */
    INVALID("\xfc\x84\x80\x80\x80\x80");          /* 6-byte form */
    /* overlongs */
    INVALID("\xc0\x80");                          /* NUL */
    INVALID("\xc0\xaf");                          /* '/' */
    INVALID("\xc1\xbf");
    INVALID("\xe0\x80\x80");
    INVALID("\xe0\x80\xaf");
    INVALID("\xe0\x9f\xbf");                      /* U+07FF in 3 bytes */
    INVALID("\xf0\x80\x80\x80");
    INVALID("\xf0\x80\x80\xaf");
    INVALID("\xf0\x8f\xbf\xbf");                  /* U+FFFF in 4 bytes */
    /* UTF-16 surrogates (CESU-8 too) */
    INVALID("\xed\xa0\x80");                      /* U+D800 */
    INVALID("\xed\xad\xbf");                      /* U+DB7F */
    INVALID("\xed\xb0\x80");                      /* U+DC00 */
    INVALID("\xed\xbf\xbf");                      /* U+DFFF */
    INVALID("\xed\xa0\xbd\xed\xb8\x80");          /* surrogate pair for 😀 */
    /* beyond U+10FFFF */
    INVALID("\xf4\x90\x80\x80");                  /* U+110000 */
    INVALID("\xf4\xbf\xbf\xbf");
    INVALID("\xf5\x80\x80\x80");
    INVALID("\xf7\xbf\xbf\xbf");                  /* U+1FFFFF */
    /* truncated sequences, at the end and in the middle */
    INVALID("\xc3");
    INVALID("\xe6\x97");
    INVALID("\xe6");
    INVALID("\xf0\x9f\x98");
    INVALID("\xf0\x9f");
    INVALID("\xf0");
    INVALID("\xc3" "a");
    INVALID("\xe6\x97" "a");
    INVALID("\xf0\x9f\x98" "a");
    INVALID("\xf0\x9f\x98\x80\x80");              /* one continuation too many */
    INVALID("\xc3\xc3\xa9");
}

/* The length is honoured: bytes past len are never read or judged. */
static void test_valid_respects_length(void **state)
{
    static const char s[] = "\xc3\xa9\xf0\x9f\x98\x80";
    (void)state;
    assert_true(utf8_valid(s, 0));
    assert_false(utf8_valid(s, 1));
    assert_true(utf8_valid(s, 2));
    assert_false(utf8_valid(s, 3));
    assert_false(utf8_valid(s, 5));
    assert_true(utf8_valid(s, 6));
    assert_true(utf8_valid("ab\xff", 2));
}

/* Every 1-, 2- and 3-byte string agrees with the reference. */
static void test_valid_exhaustive_short(void **state)
{
    unsigned char s[3];
    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        if (utf8_valid((const char *)s, 1) != ref_valid(s, 1))
            fail_msg("1 byte %02X", a);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            if (utf8_valid((const char *)s, 2) != ref_valid(s, 2))
                fail_msg("2 bytes %02X %02X", a, b);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (unsigned char)c;
                if (utf8_valid((const char *)s, 3) != ref_valid(s, 3))
                    fail_msg("3 bytes %02X %02X %02X", a, b, c);
            }
        }
    }
}

/* 4-byte strings: every first two bytes, boundary values for the rest. */
static void test_valid_exhaustive_four(void **state)
{
    static const unsigned char edge[] = { 0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                          0x9F, 0xA0, 0xBF, 0xC0, 0xC3, 0xF0, 0xFF };
    unsigned char s[4];
    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (size_t i = 0; i < sizeof edge; i++) {
                for (size_t j = 0; j < sizeof edge; j++) {
                    s[0] = (unsigned char)a;
                    s[1] = (unsigned char)b;
                    s[2] = edge[i];
                    s[3] = edge[j];
                    if (utf8_valid((const char *)s, 4) != ref_valid(s, 4))
                        fail_msg("4 bytes %02X %02X %02X %02X", a, b, s[2], s[3]);
                }
            }
        }
    }
}

/* Every scalar value encodes to valid UTF-8; every surrogate does not. */
static void test_valid_every_code_point(void **state)
{
    char s[4];
    (void)state;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        size_t n = enc(c, s);
        bool want = c < 0xD800 || c > 0xDFFF;
        if (utf8_valid(s, n) != want)
            fail_msg("U+%04X", c);
        if (want && utf8_count(s, n) != 1)
            fail_msg("count of U+%04X", c);
    }
}

/* ---- count and prefix -------------------------------------------------- */

static void test_count(void **state)
{
    (void)state;
    assert_int_equal(utf8_count("", 0), 0);
    assert_int_equal(utf8_count("abc", 3), 3);
    assert_int_equal(utf8_count("\xc3\xa9", 2), 1);
    assert_int_equal(utf8_count("\xe6\x97\xa5\xe6\x9c\xac", 6), 2);
    assert_int_equal(utf8_count("\xf0\x9f\x98\x80", 4), 1);
    assert_int_equal(utf8_count("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80z", 11), 5);
    assert_int_equal(utf8_count("a\0b", 3), 3);
}

static void test_prefix_known(void **state)
{
    static const char s[] = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80";   /* aé日😀 */
    static const size_t want[] = { 0, 1, 3, 6, 10, 10, 10 };
    (void)state;
    for (size_t n = 0; n < sizeof want / sizeof *want; n++)
        assert_int_equal(utf8_prefix(s, 10, n), want[n]);
    assert_int_equal(utf8_prefix(s, 10, SIZE_MAX), 10);
    assert_int_equal(utf8_prefix("", 0, 0), 0);
    assert_int_equal(utf8_prefix("", 0, 5), 0);
    assert_int_equal(utf8_prefix("abc", 3, 2), 2);
}

/* Random valid strings: count matches the encoder, and every prefix ends
 * on a code point boundary with exactly min(n, count) code points. */
static void test_count_prefix_random(void **state)
{
    char s[4 * 64];
    size_t bounds[65];
    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        size_t cps = lcg_next() % 64, len = 0;
        for (size_t i = 0; i < cps; i++) {
            bounds[i] = len;
            len += enc(random_scalar(), s + len);
        }
        bounds[cps] = len;
        assert_true(utf8_valid(s, len));
        assert_int_equal(utf8_count(s, len), cps);
        for (size_t n = 0; n <= cps + 2; n++) {
            size_t p = utf8_prefix(s, len, n);
            size_t want = n <= cps ? bounds[n] : len;
            if (p != want)
                fail_msg("prefix %zu of %zu code points: %zu, want %zu", n, cps, p, want);
            assert_true(utf8_valid(s, p));
            assert_true(utf8_valid(s + p, len - p));
        }
    }
}

/* ---- strip ------------------------------------------------------------- */

static void check_strip(const char *s, size_t len, size_t want_start, size_t want_len)
{
    size_t start = 12345;
    size_t n = utf8_strip(s, len, &start);
    if (n != want_len || (want_len && start != want_start))
        fail_msg("strip: got [%zu, +%zu) want [%zu, +%zu)", start, n, want_start, want_len);
    assert_true(start + n <= len);
}

#define STRIP(lit, st, n) check_strip(lit, sizeof lit - 1, st, n)

static void test_strip_known(void **state)
{
    (void)state;
    STRIP("", 0, 0);
    STRIP("abc", 0, 3);
    STRIP("  abc  ", 2, 3);
    STRIP("\t\n\v\f\r abc \r\n", 6, 3);
    STRIP("a b", 0, 3);                           /* inner space kept */
    STRIP("  a  b  ", 2, 4);
    STRIP("   ", 0, 0);
    STRIP("\x1c\x1d\x1e\x1fx\x1f", 4, 1);         /* file/group/record/unit sep. */
    STRIP("\xc2\xa0x\xc2\xa0", 2, 1);             /* U+00A0 NBSP */
    STRIP("\xc2\x85x\xc2\x85", 2, 1);             /* U+0085 NEL */
    STRIP("\xe3\x80\x80x\xe3\x80\x80", 3, 1);     /* U+3000 ideographic space */
    STRIP("\xe2\x80\xa8x\xe2\x80\xa9", 3, 1);     /* U+2028, U+2029 */
    STRIP("\xe1\x9a\x80\xe2\x80\x80\xe2\x80\x8ax\xe2\x80\xaf\xe2\x81\x9f", 9, 1);
    STRIP("\xc2\xa0\xe3\x80\x80 \t", 0, 0);       /* only whitespace */
    STRIP(" \xc3\xa9t\xc3\xa9 ", 1, 5);           /* " été " */
}

/* Look-alikes of whitespace that Python does not strip. */
static void test_strip_keeps_non_space(void **state)
{
    (void)state;
    STRIP("\xe2\x80\x8bx\xe2\x80\x8b", 0, 7);     /* U+200B zero-width space */
    STRIP("\xe2\x80\x8b", 0, 3);
    STRIP("\xef\xbb\xbfx", 0, 4);                 /* U+FEFF BOM */
    STRIP("\xe1\xa0\x8ex", 0, 4);                 /* U+180E Mongolian vowel sep. */
    STRIP("\xe2\x81\xa0x", 0, 4);                 /* U+2060 word joiner */
    STRIP("\xe2\x80\x8c\xe2\x80\x8d", 0, 6);      /* ZWNJ, ZWJ */
    STRIP("\xc2\xad", 0, 2);                      /* soft hyphen */
    STRIP("\x00x\x00", 0, 3);                     /* NUL */
    STRIP("\x08x\x0e", 0, 3);                     /* BS, SO */
    STRIP("\x7f", 0, 1);
    STRIP(" \xe2\x80\x8b ", 1, 3);
}

/* Invalid bytes are kept as content, never treated as whitespace. */
static void test_strip_invalid_bytes(void **state)
{
    (void)state;
    STRIP(" \xff ", 1, 1);
    STRIP("\xc2 ", 0, 1);                         /* truncated NBSP */
    STRIP(" \xa0", 1, 1);                         /* Latin-1 NBSP is not UTF-8 */
    STRIP("\xe3\x80", 0, 2);                      /* truncated U+3000 */
}

/* Every code point, alone and around a letter: stripped iff Python's
 * str.isspace() says so. */
static void test_strip_every_code_point(void **state)
{
    char s[16];
    (void)state;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        size_t n, start, got;
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        n = enc(c, s);
        got = utf8_strip(s, n, &start);
        if (got != (py_space(c) ? 0 : n))
            fail_msg("U+%04X alone: kept %zu bytes", c, got);
        n = enc(c, s);
        s[n] = 'x';
        n += 1 + enc(c, s + n + 1);
        got = utf8_strip(s, n, &start);
        if (py_space(c)) {
            if (got != 1 || s[start] != 'x')
                fail_msg("U+%04X around x: [%zu, +%zu)", c, start, got);
        } else if (got != n || start != 0) {
            fail_msg("U+%04X around x stripped", c);
        }
    }
}

/* The input is never modified. */
static void test_strip_const(void **state)
{
    char s[] = "  \xc2\xa0 abc \xe3\x80\x80 ";
    char copy[sizeof s];
    size_t start;
    (void)state;
    memcpy(copy, s, sizeof s);
    assert_int_equal(utf8_strip(s, sizeof s - 1, &start), 3);
    assert_int_equal(start, 5);
    assert_memory_equal(s, copy, sizeof s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_known),
        cmocka_unit_test(test_invalid_known),
        cmocka_unit_test(test_valid_respects_length),
        cmocka_unit_test(test_valid_exhaustive_short),
        cmocka_unit_test(test_valid_exhaustive_four),
        cmocka_unit_test(test_valid_every_code_point),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_prefix_known),
        cmocka_unit_test(test_count_prefix_random),
        cmocka_unit_test(test_strip_known),
        cmocka_unit_test(test_strip_keeps_non_space),
        cmocka_unit_test(test_strip_invalid_bytes),
        cmocka_unit_test(test_strip_every_code_point),
        cmocka_unit_test(test_strip_const),
    };
    return cmocka_run_group_tests_name("util/utf8", tests, NULL, NULL);
}
