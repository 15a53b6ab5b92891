/* test_bert_chars.c — unit tests for src/embed/bert_chars.c: every code
 * point below U+30000 against Python's unicodedata / str.lower() (the
 * generator's source, asked again here through /usr/bin/python3), plus
 * spot checks and the UTF-8 decoder's edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "embed/bert_chars.h"

/* For each code point: class, lower-case (or -1 when Python gives more than
 * one character), stripped characters. */
static const char PY[] =
    "/usr/bin/python3 -c '\n"
    "import unicodedata as u, sys\n"
    "def k(c):\n"
    "    ch = chr(c); cat = u.category(ch)\n"
    "    if ch in \" \\t\\n\\r\" or cat in (\"Zs\", \"Zl\", \"Zp\"): return 1\n"
    "    if cat[0] == \"C\": return 2\n"
    "    if cat[0] == \"P\" or 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126: return 3\n"
    "    return 4 if cat == \"Mn\" else 0\n"
    "out = []\n"
    "for c in range(0x30000):\n"
    "    if 0xD800 <= c <= 0xDFFF: continue\n"
    "    lo = chr(c).lower(); lo = ord(lo) if len(lo) == 1 else -1\n"
    "    s = [ord(x) for x in u.normalize(\"NFD\", chr(c)) if u.category(x) != \"Mn\"]\n"
    "    out.append(\"%d %d %d %s\\n\" % (c, k(c), lo, \" \".join(map(str, s))))\n"
    "sys.stdout.write(\"\".join(out))\n'";

static void test_against_python(void **state)
{
    (void)state;
    FILE *p = popen(PY, "r");
    char line[256];
    size_t n = 0;
    assert_non_null(p);
    while (fgets(line, sizeof line, p)) {
        char *s = line, *end;
        uint32_t cp = (uint32_t)strtoul(s, &end, 10);
        int cls = (int)strtol(end, &end, 10);
        long lo = strtol(end, &end, 10);
        uint32_t want[3], got[3], extra;
        size_t nw = 0;
        for (;;) {
            s = end;
            unsigned long v = strtoul(s, &end, 10);
            if (end == s)
                break;
            assert_true(nw < 3);
            want[nw++] = (uint32_t)v;
        }
        if ((int)bc_class_of(cp) != cls)
            fail_msg("U+%04X: class %d, Python %d", cp, (int)bc_class_of(cp), cls);
        if (lo >= 0 && bc_lower(cp, &extra) != (uint32_t)lo)
            fail_msg("U+%04X: lower U+%04X, Python U+%04lX", cp, bc_lower(cp, &extra), lo);
        size_t ng = bc_strip_accents(cp, got);
        if (ng != nw || memcmp(got, want, nw * sizeof *got) != 0)
            fail_msg("U+%04X: %zu stripped characters, Python %zu", cp, ng, nw);
        n++;
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(n, 0x30000 - 0x800);
}

static void test_spots(void **state)
{
    uint32_t out[3], extra;
    (void)state;
    assert_int_equal(bc_class_of(' '), BC_SPACE);
    assert_int_equal(bc_class_of(0x3000), BC_SPACE);
    assert_int_equal(bc_class_of(0x2028), BC_SPACE);
    assert_int_equal(bc_class_of('\t'), BC_SPACE);
    assert_int_equal(bc_class_of(0x0B), BC_CONTROL);     /* \v is Cc */
    assert_int_equal(bc_class_of(0x200B), BC_CONTROL);   /* ZWSP is Cf */
    assert_int_equal(bc_class_of(0xE000), BC_CONTROL);   /* private use */
    assert_int_equal(bc_class_of(0x110000), BC_CONTROL);
    assert_int_equal(bc_class_of('$'), BC_PUNCT);        /* Sc, but ASCII */
    assert_int_equal(bc_class_of(0x20AC), BC_OTHER);     /* € is Sc */
    assert_int_equal(bc_class_of(0x3002), BC_PUNCT);     /* 。 */
    assert_int_equal(bc_class_of(0x0301), BC_MARK);
    assert_true(bc_is_cjk(0x4E2D));
    assert_false(bc_is_cjk(0xAC00));                     /* Hangul is not */
    assert_int_equal(bc_lower('A', &extra), 'a');
    assert_int_equal(bc_lower(0x130, &extra), 'i');
    assert_int_equal(extra, 0x307);
    assert_int_equal(bc_lower(0x3A3, &extra), 0x3C3);    /* Σ → σ (no final-sigma rule) */
    assert_int_equal(bc_lower(0x10400, &extra), 0x10428); /* Deseret */
    assert_int_equal(bc_strip_accents(0xE9, out), 1);
    assert_int_equal(out[0], 'e');
    assert_int_equal(bc_strip_accents(0xD55C, out), 3);  /* 한 → ᄒ ᅡ ᆫ */
    assert_int_equal(out[0], 0x1112);
    assert_int_equal(out[1], 0x1161);
    assert_int_equal(out[2], 0x11AB);
    assert_int_equal(bc_strip_accents(0x0301, out), 0);
}

/* BERT's CJK blocks (its _is_chinese_char), each at both ends and just
 * outside (0x2A700..0x2CEAF are three blocks back to back). */
static void test_cjk_edges(void **state)
{
    static const uint32_t RANGES[][2] = {
        {0x4E00, 0x9FFF}, {0x3400, 0x4DBF}, {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
        {0x2B740, 0x2B81F}, {0x2B820, 0x2CEAF}, {0xF900, 0xFAFF}, {0x2F800, 0x2FA1F},
    };
    (void)state;
    for (size_t i = 0; i < sizeof RANGES / sizeof RANGES[0]; i++) {
        assert_true(bc_is_cjk(RANGES[i][0]));
        assert_true(bc_is_cjk(RANGES[i][1]));
        assert_true(bc_is_cjk((RANGES[i][0] + RANGES[i][1]) / 2));
    }
    static const uint32_t OUTSIDE[] = {0x4DFF, 0xA000, 0x33FF, 0x4DC0, 0x1FFFF, 0x2A6E0,
                                       0x2A6FF, 0x2CEB0, 0xF8FF, 0xFB00, 0x2F7FF, 0x2FA20,
                                       0x3000, 0x41, 0x30000};
    for (size_t i = 0; i < sizeof OUTSIDE / sizeof OUTSIDE[0]; i++)
        if (bc_is_cjk(OUTSIDE[i]))
            fail_msg("U+%04X is not CJK", OUTSIDE[i]);
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct { const char *s; uint32_t cp; size_t adv; } T[] = {
        {"a", 'a', 1}, {"\xc3\xa9", 0xE9, 2}, {"\xe4\xb8\xad", 0x4E2D, 3},
        {"\xf0\x9f\x98\x80", 0x1F600, 4}, {"\xc3", BC_INVALID, 1}, {"\xc0\x80", BC_INVALID, 1},
        {"\xed\xa0\x80", BC_INVALID, 1}, {"\xf4\x90\x80\x80", BC_INVALID, 1},
        {"\x80", BC_INVALID, 1}, {"\xe4\xb8", BC_INVALID, 1}, {"\xff", BC_INVALID, 1},
    };
    for (size_t k = 0; k < sizeof T / sizeof *T; k++) {
        size_t i = 0;
        uint32_t cp = bc_utf8_next((const unsigned char *)T[k].s, strlen(T[k].s), &i);
        assert_int_equal(cp, T[k].cp);
        assert_int_equal(i, T[k].adv);
    }
    unsigned char buf[4];
    for (uint32_t cp = 1; cp < 0x110000; cp += 97) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        size_t n = bc_utf8_put(cp, buf), i = 0;
        assert_int_equal(bc_utf8_next(buf, n, &i), cp);
        assert_int_equal(i, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_python),
        cmocka_unit_test(test_spots),
        cmocka_unit_test(test_cjk_edges),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests_name("embed/bert_chars", tests, NULL, NULL);
}
