/* test_terms.c — unit tests for src/util/terms.c: words and connectors,
 * compound tokens kept whole and in parts, ASCII lower-casing, stop words
 * (parts only), the 64-byte cut at a character boundary, weights, the
 * document length and the sorted merge of duplicates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/terms.h"

/* The finished bag of text as "term:tf term:tf …". */
static char *bag_of(const char *text, char *out, size_t outsz)
{
    term_bag b = TERM_BAG_INIT;
    assert_int_equal(terms_add(&b, text, strlen(text), 1), 0);
    terms_finish(&b);
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b.n; i++)
        off += (size_t)snprintf(out + off, outsz - off, "%s%s:%lld", i ? " " : "", b.v[i].s,
                                (long long)b.v[i].tf);
    terms_free(&b);
    return out;
}

#define ASSERT_BAG(text, want) do { \
        char got_[2048]; \
        assert_string_equal(bag_of((text), got_, sizeof got_), (want)); \
    } while (0)

static void test_words_and_case(void **state)
{
    (void)state;
    ASSERT_BAG("Hello, WORLD! hello", "hello:2 world:1");
    ASSERT_BAG("", "");
    ASSERT_BAG("  ...  ---  ", "");
    ASSERT_BAG("route66 42", "42:1 route66:1");
}

static void test_compounds_whole_and_parts(void **state)
{
    (void)state;
    ASSERT_BAG("INC-48213", "48213:1 inc:1 inc-48213:1");
    ASSERT_BAG("v1.2.3", "2:1 3:1 v1:1 v1.2.3:1");
    ASSERT_BAG("ops@example.com", "com:1 example:1 ops:1 ops@example.com:1");
    ASSERT_BAG("snake_case", "case:1 snake:1 snake_case:1");
}

static void test_connectors_only_between_word_characters(void **state)
{
    (void)state;
    ASSERT_BAG("end. Next", "end:1 next:1");             /* sentence end */
    ASSERT_BAG("a--b", "b:1");                            /* "a" is a stop word */
    ASSERT_BAG("-lead trail-", "lead:1 trail:1");
    ASSERT_BAG("https://x.org/p", "https:1 org:1 p:1 x:1 x.org/p:1");
}

static void test_stop_words_are_parts_only(void **state)
{
    (void)state;
    ASSERT_BAG("The cat and THE dog", "cat:1 dog:1");
    ASSERT_BAG("and/or", "and/or:1");                     /* the compound stays */
    ASSERT_BAG("it is what it is", "what:1");            /* "what" is not a stop word */
}

static void test_non_ascii_kept_and_not_folded(void **state)
{
    (void)state;
    ASSERT_BAG("Ölfeld ölfeld Straße", "stra\xc3\x9f" "e:1 \xc3\x96lfeld:1 \xc3\xb6lfeld:1");
}

static void test_long_terms_cut_at_a_character(void **state)
{
    (void)state;
    char text[200];
    memset(text, 'a', 63);
    memcpy(text + 63, "\xc3\xa9tail", 7);               /* é straddles byte 64 */
    text[70] = '\0';
    term_bag b = TERM_BAG_INIT;
    assert_int_equal(terms_add(&b, text, strlen(text), 1), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(strlen(b.v[0].s), 63);
    terms_free(&b);
    memset(text, 'b', 100);
    text[100] = '\0';
    assert_int_equal(terms_add(&b, text, 100, 1), 0);
    assert_int_equal(strlen(b.v[0].s), TERM_MAX);
    terms_free(&b);
}

static void test_weights_and_length(void **state)
{
    (void)state;
    term_bag b = TERM_BAG_INIT;
    assert_int_equal(terms_add(&b, "Report INC-7", 12, 2), 0);   /* a title */
    assert_int_equal(terms_add(&b, "report of the day", 17, 1), 0);
    terms_finish(&b);
    /* report 2 + inc 2 + 7 2 + inc-7 2 (title), report 1 + day 1 */
    assert_int_equal(b.length, 10);
    assert_int_equal(b.n, 5);
    assert_string_equal(b.v[0].s, "7");
    assert_string_equal(b.v[4].s, "report");
    assert_int_equal(b.v[4].tf, 3);
    terms_free(&b);
}

static void test_many_terms_grow(void **state)
{
    (void)state;
    term_bag b = TERM_BAG_INIT;
    char w[16];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(w, sizeof w, "w%d ", i % 1000);
        assert_int_equal(terms_add(&b, w, (size_t)n, 1), 0);
    }
    terms_finish(&b);
    assert_int_equal(b.n, 1000);
    assert_int_equal(b.length, 5000);
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(b.v[i].tf, 5);
    terms_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_and_case),
        cmocka_unit_test(test_compounds_whole_and_parts),
        cmocka_unit_test(test_connectors_only_between_word_characters),
        cmocka_unit_test(test_stop_words_are_parts_only),
        cmocka_unit_test(test_non_ascii_kept_and_not_folded),
        cmocka_unit_test(test_long_terms_cut_at_a_character),
        cmocka_unit_test(test_weights_and_length),
        cmocka_unit_test(test_many_terms_grow),
    };
    return cmocka_run_group_tests_name("util/terms", tests, NULL, NULL);
}
