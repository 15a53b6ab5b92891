/* test_wordpiece.c — unit tests for src/embed/wordpiece.c: the documented
 * rules of HF's BertTokenizer (accents, punctuation, Chinese characters,
 * unknown words, continuation pieces, 100-character words, special tokens
 * in the text, maximum length), options (cased, no accent stripping, no CJK
 * split), vocabulary errors, and every tokenizer case of the numpy
 * reference in tests/fakes/make_tiny_bert.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "embed/wordpiece.h"

static const char VOCAB[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
    "un\n##aff\n##able\nhello\nworld\n,\n!\n.\n[\n]\n(\n)\ncafe\ncreme\ncafé\n"
    "中\n国\n人\na\n##a\nb\n##b\nc\n##c\ni\n##s\n##t\n##a\n##n\n##b\n##u\n##l\n"
    "ᄒ\n##ᅡ\n##ᆫ\nthe\ncat\nHello\n\xe2\x80\xa6\ncl\n##s\n";

static wp_vocab *V;

static int setup(void **state)
{
    wp_options o;
    char err[128];
    (void)state;
    wp_options_default(&o);
    V = wp_vocab_parse(VOCAB, strlen(VOCAB), &o, err, sizeof err);
    return V ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wp_free(V);
    return 0;
}

/* The pieces of text (between [CLS] and [SEP]) joined by spaces. */
static void pieces(const wp_vocab *v, const char *text, size_t len, size_t max_ids, char *out,
                   size_t outsz)
{
    int32_t ids[512];
    size_t n = wp_encode(v, text, len, ids, max_ids), at = 0;
    assert_true(n >= 2 && n <= max_ids);
    assert_string_equal(wp_piece(v, ids[0]), "[CLS]");
    assert_string_equal(wp_piece(v, ids[n - 1]), "[SEP]");
    out[0] = '\0';
    for (size_t i = 1; i + 1 < n && at < outsz; i++)
        at += (size_t)snprintf(out + at, outsz - at, "%s%s", i > 1 ? " " : "",
                               wp_piece(v, ids[i]));
}

static void expect_v(const wp_vocab *v, const char *text, const char *want)
{
    char got[4096];
    pieces(v, text, strlen(text), 512, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("\"%s\": got \"%s\", want \"%s\"", text, got, want);
}

static void expect(const char *text, const char *want)
{
    expect_v(V, text, want);
}

static void test_rules(void **state)
{
    (void)state;
    expect("", "");
    expect("   \t\n ", "");
    expect("unaffable", "un ##aff ##able");                /* continuation pieces */
    expect("Hello, World!", "hello , world !");            /* lower-case, punctuation */
    expect("hello,world!", "hello , world !");
    expect("Café CRÈME", "cafe creme");                    /* accents stripped */
    expect("cafe\xcc\x81", "cafe");                        /* a bare combining mark */
    expect("中国人", "中 国 人");                            /* CJK split */
    expect("a中b", "a 中 b");
    expect("xyz hello", "[UNK] hello");                    /* unmatchable → [UNK] */
    expect("unaffablex", "[UNK]");                         /* the whole word */
    expect("İstanbul", "i ##s ##t ##a ##n ##b ##u ##l");   /* İ → i + U+0307 → i */
    expect("한", "ᄒ ##ᅡ ##ᆫ");                              /* Hangul → jamo */
    expect("hello\xe2\x80\xa8world", "hello world");        /* U+2028 splits */
    expect("hel\x01lo wor\xe2\x80\x8bld", "hello world");   /* controls dropped, no split */
    expect("hel\xfflo \xc3", "hello");                      /* invalid UTF-8 dropped */
    expect("hel\xef\xbf\xbdlo", "hello");                   /* U+FFFD dropped */
    expect("the cat\xe2\x80\xa6", "the cat \xe2\x80\xa6");    /* … is punctuation */
    expect("(hello)", "( hello )");
}

static void test_special_tokens(void **state)
{
    (void)state;
    expect("[CLS]", "[CLS]");
    expect("hello[SEP]world", "hello [SEP] world");
    expect("[MASK] [PAD] [UNK]", "[MASK] [PAD] [UNK]");
    expect("[cls]", "[ cl ##s ]");                          /* case matters */
    expect("[CL", "[ cl");
}

static void test_long_words(void **state)
{
    char text[256], want[1024];
    size_t at = 0;
    (void)state;
    memset(text, 'a', 100);
    text[100] = '\0';
    for (size_t i = 0; i < 100; i++)
        at += (size_t)snprintf(want + at, sizeof want - at, "%s", i ? " ##a" : "a");
    expect(text, want);                                     /* 100 characters: fine */
    text[100] = 'a';
    text[101] = '\0';
    expect(text, "[UNK]");                                  /* 101: [UNK] */
    /* 100 accented characters strip to 100: still a word; counted after
     * stripping. */
    at = 0;
    for (size_t i = 0; i < 101; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "%s", i < 100 ? "a" : "\xcc\x81");
    expect(text, want);
}

static void test_max_length(void **state)
{
    char got[256];
    int32_t ids[8];
    (void)state;
    pieces(V, "a b c hello world", 17, 5, got, sizeof got);
    assert_string_equal(got, "a b c");
    pieces(V, "unaffable", 9, 4, got, sizeof got);          /* cut inside a word */
    assert_string_equal(got, "un ##aff");
    pieces(V, "hello", 5, 2, got, sizeof got);
    assert_string_equal(got, "");
    assert_int_equal(wp_encode(V, "hello", 5, ids, 1), 0);
}

/* 5 MB of words, and one 5 MB word: the first stops after max_ids pieces,
 * the second is one linear scan. */
static void test_huge(void **state)
{
    size_t len = 5u << 20;
    char *t = malloc(len);
    int32_t ids[256];
    (void)state;
    assert_non_null(t);
    for (size_t i = 0; i < len; i++)
        t[i] = (i % 6 == 5) ? ' ' : "hello"[i % 6];
    clock_t c0 = clock();
    for (int k = 0; k < 1000; k++)
        assert_int_equal(wp_encode(V, t, len, ids, 256), 256);
    double per = (double)(clock() - c0) / CLOCKS_PER_SEC / 1000;
    assert_true(per < 0.005);                               /* reads ~1.5 KB, not 5 MB */
    memset(t, 'a', len);
    assert_int_equal(wp_encode(V, t, len, ids, 256), 3);
    assert_string_equal(wp_piece(V, ids[1]), "[UNK]");
    free(t);
}

static void test_options(void **state)
{
    wp_options o;
    char err[128];
    wp_vocab *v;
    (void)state;
    wp_options_default(&o);
    o.lower = false;
    v = wp_vocab_parse(VOCAB, strlen(VOCAB), &o, err, sizeof err);
    assert_non_null(v);
    expect_v(v, "Hello hello HELLO", "Hello hello [UNK]");
    expect_v(v, "café", "café");                             /* cased: accents kept */
    wp_free(v);
    wp_options_default(&o);
    o.strip_accents = 0;
    v = wp_vocab_parse(VOCAB, strlen(VOCAB), &o, err, sizeof err);
    expect_v(v, "CAFÉ", "café");
    wp_free(v);
    wp_options_default(&o);
    o.chinese = false;
    v = wp_vocab_parse(VOCAB, strlen(VOCAB), &o, err, sizeof err);
    expect_v(v, "中国 人", "[UNK] 人");
    wp_free(v);
}

static void test_vocab(void **state)
{
    wp_options o;
    char err[128] = "", big[400];
    (void)state;
    wp_options_default(&o);
    assert_int_equal(wp_size(V), 46);
    assert_int_equal(wp_id(V, "hello", 5), 8);
    assert_int_equal(wp_id(V, "##a", 3), 32);                /* a later duplicate wins */
    assert_string_equal(wp_piece(V, 24), "##a");
    assert_null(wp_piece(V, 46));
    assert_null(wp_piece(V, -1));
    assert_null(wp_vocab_parse("[CLS]\n[SEP]\nhello\n", 18, &o, err, sizeof err));
    assert_non_null(strstr(err, "[UNK]"));
    assert_null(wp_vocab_parse("[UNK]\n[SEP]\n", 12, &o, err, sizeof err));
    assert_non_null(strstr(err, "[CLS]"));
    assert_null(wp_vocab_parse("", 0, &o, err, sizeof err));
    assert_null(wp_vocab_parse("[UNK]\n[C\0S]\n", 12, &o, err, sizeof err));
    memset(big, 'x', sizeof big);
    memcpy(big, "[UNK]\n[CLS]\n[SEP]\n", 18);
    assert_null(wp_vocab_parse(big, sizeof big, &o, err, sizeof err));
    assert_non_null(strstr(err, "longer"));
    /* "\r" stays part of a piece, as in HF's load_vocab; no final newline. */
    wp_vocab *v = wp_vocab_parse("[UNK]\r\n[UNK]\n[CLS]\n[SEP]", 24, &o, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(wp_size(v), 4);
    assert_int_equal(wp_id(v, "[UNK]\r", 6), 0);
    wp_free(v);
    o.unk[0] = '\0';
    assert_null(wp_vocab_parse(VOCAB, strlen(VOCAB), &o, err, sizeof err));
    assert_null(wp_vocab_load("/nonexistent/vocab.txt", &o, err, sizeof err));
}

/* The reference tokenizer's pieces for every sentence of the generator. */
static void test_reference_cases(void **state)
{
    char dir[] = "/tmp/test_wordpiece.XXXXXX", cmd[256], path[128];
    json_error_t je;
    wp_options o;
    (void)state;
    assert_non_null(mkdtemp(dir));
    for (int cased = 0; cased < 2; cased++) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/fakes/make_tiny_bert.py --out %s%s",
                 dir, cased ? " --cased" : "");
        assert_int_equal(system(cmd), 0);
        snprintf(path, sizeof path, "%s/reference.json", dir);
        json_t *ref = json_load_file(path, 0, &je), *cases = json_object_get(ref, "tokenizer_cases");
        assert_non_null(cases);
        size_t max_len = (size_t)json_integer_value(json_object_get(ref, "max_len"));
        wp_options_default(&o);
        o.lower = !cased;
        snprintf(path, sizeof path, "%s/vocab.txt", dir);
        char err[128];
        wp_vocab *v = wp_vocab_load(path, &o, err, sizeof err);
        assert_non_null(v);
        for (size_t i = 0; i < json_array_size(cases); i++) {
            json_t *c = json_array_get(cases, i), *want = json_object_get(c, "pieces");
            const char *text = json_string_value(json_object_get(c, "text"));
            int32_t ids[512];
            size_t n = wp_encode(v, text, strlen(text), ids, max_len);
            if (n - 2 != json_array_size(want))
                fail_msg("\"%s\": %zu pieces, reference %zu", text, n - 2, json_array_size(want));
            for (size_t k = 0; k + 2 < n; k++) {
                const char *w = json_string_value(json_array_get(want, k));
                if (strcmp(wp_piece(v, ids[k + 1]), w) != 0)
                    fail_msg("\"%s\": piece %zu is \"%s\", reference \"%s\"", text, k,
                             wp_piece(v, ids[k + 1]), w);
            }
        }
        wp_free(v);
        json_decref(ref);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_long_words),
        cmocka_unit_test(test_max_length),
        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_vocab),
        cmocka_unit_test(test_reference_cases),
    };
    return cmocka_run_group_tests_name("embed/wordpiece", tests, setup, teardown);
}
