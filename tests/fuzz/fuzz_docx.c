/* fuzz_docx.c — libFuzzer target for src/imports/docx.c. An even first
 * byte feeds the rest as the archive itself; an odd one wraps the rest as
 * word/document.xml in a fresh zip, so the XML walker gets coverage too.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(pkg-config --cflags libxml-2.0 libzip) tests/fuzz/fuzz_docx.c \
 *     src/imports/docx.c src/imports/text.c src/imports/init.c src/util/utf8.c \
 *     src/util/buf.c $(pkg-config --libs libxml-2.0 libzip) -lpthread -o build/fuzz_docx
 *   build/fuzz_docx -max_total_time=60 tests/fixtures/imports */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zip.h>

#include "imports/docx.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stored-method zip holding xml as word/document.xml; NULL on failure. */
static char *wrap(const uint8_t *xml, size_t n, size_t *len)
{
    zip_error_t ze;
    zip_source_t *src, *f;
    zip_t *za;
    char *out = NULL;
    zip_int64_t got;
    zip_error_init(&ze);
    if (!(src = zip_source_buffer_create(NULL, 0, 0, &ze)))
        return NULL;
    zip_source_keep(src);
    if (!(za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)))
        goto out;
    f = zip_source_buffer_create(xml, n, 0, &ze);
    zip_int64_t idx = f ? zip_file_add(za, "word/document.xml", f, 0) : -1;
    if (idx < 0) {
        zip_source_free(f);
        zip_discard(za);
        goto out;
    }
    zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    if (zip_close(za) != 0) {
        zip_discard(za);
        goto out;
    }
    if (zip_source_open(src) != 0)
        goto out;
    zip_source_seek(src, 0, SEEK_END);
    *len = (size_t)zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    out = malloc(*len + 1);
    got = out ? zip_source_read(src, out, *len) : -1;
    if (got != (zip_int64_t)*len) {
        free(out);
        out = NULL;
    }
    zip_source_close(src);
out:
    zip_source_free(src);
    zip_error_fini(&ze);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL, err[256], *archive = NULL;
    const void *in = data + 1;
    size_t n = 0, len = size ? size - 1 : 0;
    if (size == 0)
        return 0;
    if (data[0] & 1) {
        if (!(archive = wrap(data + 1, size - 1, &len)))
            return 0;
        in = archive;
    }
    if (imp_docx_text(in, len, &out, &n, err, sizeof err) == 0) {
        if (!utf8_valid(out, n))
            abort();
        free(out);
    } else if (out || !err[0]) {
        abort();
    }
    free(archive);
    return 0;
}
