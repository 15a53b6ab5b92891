/* fuzz_imptext.c — libFuzzer target for the small import parsers:
 * bytes → text decoding, CSV, Python-style JSON, the normaliser and the
 * §8.6 summary, checking each output is valid UTF-8 and the one-line JSON
 * equals the indent=2 JSON once whitespace is collapsed.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_imptext.c \
 *     src/imports/text.c src/imports/csv.c src/imports/json_indent.c \
 *     src/imports/summary.c src/imports/source.c src/util/utf8.c src/util/buf.c \
 *     $(pkg-config --libs jansson) -lm -o build/fuzz_imptext
 *   build/fuzz_imptext -max_total_time=60 tests/fixtures/imports */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imports/csv.h"
#include "imports/json_indent.h"
#include "imports/source.h"
#include "imports/summary.h"
#include "imports/text.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, size_t n)
{
    if (!s)
        abort();
    if (!utf8_valid(s, n))
        abort();
}

static void json_check(const char *t, size_t tn)
{
    char *a = NULL, *b = NULL, *ca, *cb;
    size_t an = 0, bn = 0, can, cbn;
    int ra = imp_json_indent(t, tn, 2, 0, &a, &an);
    int rb = imp_json_indent(t, tn, IMP_JSON_ONELINE, 0, &b, &bn);
    if (ra != rb)
        abort();
    if (ra == 0) {
        check(a, an);
        ca = imp_collapse(a, an, IMP_COLLAPSE_WS, &can);
        cb = imp_collapse(b, bn, IMP_COLLAPSE_WS, &cbn);
        if (can != cbn || memcmp(ca, cb, can) != 0)
            abort();
        free(ca);
        free(cb);
    }
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t tn, n, sn;
    char *t = imp_decode_text(data, size, &tn), *o, *norm;
    check(t, tn);
    o = imp_csv_text(t, tn, &n);
    check(o, n);
    free(o);
    json_check(t, tn);
    norm = imp_normalize(t, tn, &n);
    check(norm, n);
    o = imp_summarize(norm, n, &sn);
    check(o, sn);
    if (utf8_count(o, sn) > IMP_SUMMARY_MAX + 3 + 80)
        abort();
    free(o);
    free(norm);
    o = imp_utf8_sanitize((const char *)data, size, &n);
    check(o, n);
    free(o);
    char *url = malloc(size + 1);
    if (url) {
        memcpy(url, data, size);
        url[size] = '\0';
        (void)imp_source_type(url);
        free(url);
    }
    free(t);
    return 0;
}
