/* fuzz_html.c — libFuzzer target for src/imports/html.c (import-url page
 * rules and .html file text). Input: 1 byte choosing the declared
 * encoding, then the document. Build and run (from the repo root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_html.c \
 *     src/imports/html.c src/imports/text.c src/imports/init.c src/util/utf8.c \
 *     src/util/buf.c $(pkg-config --libs libxml-2.0) -lpthread -o build/fuzz_html
 *   build/fuzz_html -max_total_time=60 tests/fixtures/imports */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imports/html.h"
#include "imports/text.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ENCODINGS[] = { NULL, "utf-8", "windows-1252", "shift_jis",
                                         "utf-16", "x-bogus" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *enc = NULL;
    char *title = NULL, *content = NULL, *text;
    size_t n = 0;
    if (size > 0) {
        enc = ENCODINGS[data[0] % (sizeof ENCODINGS / sizeof *ENCODINGS)];
        data++;
        size--;
    }
    if (imp_html_page((const char *)data, size, enc, &title, &content) == 0) {
        if (!utf8_valid(title, strlen(title)) || !utf8_valid(content, strlen(content)) ||
            imp_cp_len(title, strlen(title)) > IMP_HTML_TITLE_MAX)
            abort();
        free(title);
        free(content);
    }
    text = imp_html_text((const char *)data, size, enc, &n);
    if (text && !utf8_valid(text, n))
        abort();
    free(text);
    return 0;
}
