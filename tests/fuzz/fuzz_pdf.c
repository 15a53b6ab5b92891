/* fuzz_pdf.c — libFuzzer target for src/imports/pdf.c (poppler-glib).
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(pkg-config --cflags poppler-glib) tests/fuzz/fuzz_pdf.c src/imports/pdf.c \
 *     src/imports/text.c src/util/utf8.c src/util/buf.c src/util/dynlib.c \
 *     $(pkg-config --libs poppler-glib) -o build/fuzz_pdf
 *   build/fuzz_pdf -max_total_time=60 -rss_limit_mb=2048 tests/fixtures/imports */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "imports/pdf.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL, err[256];
    size_t n = 0;
    if (imp_pdf_text(data, size, &out, &n, err, sizeof err) == 0) {
        if (!utf8_valid(out, n))
            abort();
        free(out);
    } else if (out || !err[0]) {
        abort();
    }
    return 0;
}
