/* test_summary.c — unit tests for src/imports/summary.c (§8.6): short
 * text unchanged, the practical one-paragraph case (first 2,000 characters
 * + "..." + the note counting 2,003), whole paragraphs, the 100-character
 * room rule, and counts in code points. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imports/summary.h"
#include "util/buf.h"

/* n copies of unit (a UTF-8 string), as a malloc'd string. */
static char *rep(const char *unit, size_t n)
{
    buf b = BUF_INIT(0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(buf_puts(&b, unit), 0);
    return buf_steal(&b);
}

static char *summarize(const char *s)
{
    size_t n;
    char *out = imp_summarize(s, strlen(s), &n);
    assert_non_null(out);
    assert_int_equal(n, strlen(out));
    return out;
}

static void test_short_unchanged(void **state)
{
    char *s = rep("x", 2000), *out = summarize(s);
    (void)state;
    assert_string_equal(out, s);
    free(out);
    free(s);
    out = summarize("");
    assert_string_equal(out, "");
    free(out);
}

static void test_practical_one_paragraph(void **state)
{
    char *s = rep("a", 2500), *want = rep("a", 2000), *out = summarize(s);
    char tail[128];
    (void)state;
    assert_memory_equal(out, want, 2000);
    snprintf(tail, sizeof tail, "...\n\n[Content truncated from 2500 to 2003 characters]");
    assert_string_equal(out + 2000, tail);
    free(out);
    free(s);
    free(want);
}

static void test_code_points(void **state)
{
    /* 2001 'é' (2 bytes each): cut after 2000 code points, counts in characters. */
    char *s = rep("\xC3\xA9", 2001), *out = summarize(s);
    (void)state;
    assert_memory_equal(out, s, 4000);
    assert_string_equal(out + 4000, "...\n\n[Content truncated from 2001 to 2003 characters]");
    free(out);
    free(s);
}

static void test_paragraphs(void **state)
{
    /* 3 paragraphs of 900: two fit (901 + 901 = 1802), 198 left > 100 → cut. */
    char *p = rep("b", 900), *s = NULL, *out;
    buf b = BUF_INIT(0);
    (void)state;
    assert_int_equal(buf_printf(&b, "  %s  \n\n%s\n   \n%s\n", p, p, p), 0);
    s = buf_steal(&b);
    out = summarize(s);
    char *want = NULL;
    char *p198 = rep("b", 198);
    assert_int_equal(buf_printf(&b, "%s\n\n%s\n\n%s...\n\n[Content truncated from %zu to %d characters]",
                                p, p, p198, strlen(s), 900 + 2 + 900 + 2 + 198 + 3), 0);
    want = buf_steal(&b);
    assert_string_equal(out, want);
    free(out);
    free(want);
    free(p198);
    free(s);
    free(p);
}

static void test_little_room_left(void **state)
{
    /* 1950 fits (1951), then only 49 left (<= 100): the rest is dropped. */
    char *a = rep("c", 1950), *c = rep("d", 500), *s, *out, *want;
    buf b = BUF_INIT(0);
    (void)state;
    assert_int_equal(buf_printf(&b, "%s\n%s", a, c), 0);
    s = buf_steal(&b);
    out = summarize(s);
    assert_int_equal(buf_printf(&b, "%s\n\n[Content truncated from 2451 to 1950 characters]", a), 0);
    want = buf_steal(&b);
    assert_string_equal(out, want);
    free(out);
    free(want);
    free(s);
    free(a);
    free(c);
}

static void test_exact_boundary(void **state)
{
    /* A paragraph of 1999 fits exactly (1999 + 1 = 2000); the next (101
     * room? no: 1 left) is dropped. Room of exactly 100 is not enough. */
    char *a = rep("e", 1999), *c = rep("f", 50), *s, *out, *want;
    buf b = BUF_INIT(0);
    (void)state;
    assert_int_equal(buf_printf(&b, "%s\n%s", a, c), 0);
    s = buf_steal(&b);
    out = summarize(s);
    assert_int_equal(buf_printf(&b, "%s\n\n[Content truncated from 2050 to 1999 characters]", a), 0);
    want = buf_steal(&b);
    assert_string_equal(out, want);
    free(out);
    free(want);
    free(s);
    free(a);
    free(c);
    a = rep("g", 1899);         /* 1900 used, room exactly 100: dropped */
    c = rep("h", 300);
    assert_int_equal(buf_printf(&b, "%s\n%s", a, c), 0);
    s = buf_steal(&b);
    out = summarize(s);
    assert_int_equal(buf_printf(&b, "%s\n\n[Content truncated from 2200 to 1899 characters]", a), 0);
    want = buf_steal(&b);
    assert_string_equal(out, want);
    free(out);
    free(want);
    free(s);
    free(a);
    free(c);
}

/* Long only by its blank lines: every paragraph fits, the note counts the
 * whole input; all blank: nothing kept. */
static void test_mostly_blank(void **state)
{
    char *sp = rep(" ", 3000), *s = malloc(3010), *out;
    (void)state;
    assert_non_null(s);
    snprintf(s, 3010, "a\n%s\nb", sp);
    out = summarize(s);
    assert_string_equal(out, "a\n\nb\n\n[Content truncated from 3004 to 4 characters]");
    free(out);
    out = imp_summarize(sp, strlen(sp), NULL);
    assert_string_equal(out, "\n\n[Content truncated from 3000 to 0 characters]");
    free(out);
    free(s);
    free(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_unchanged),
        cmocka_unit_test(test_practical_one_paragraph),
        cmocka_unit_test(test_code_points),
        cmocka_unit_test(test_paragraphs),
        cmocka_unit_test(test_little_room_left),
        cmocka_unit_test(test_exact_boundary),
        cmocka_unit_test(test_mostly_blank),
    };
    return cmocka_run_group_tests_name("imports/summary", tests, NULL, NULL);
}
