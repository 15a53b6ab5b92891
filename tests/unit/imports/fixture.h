/* fixture.h — reads a file of tests/fixtures/imports/ (tests run from the
 * repository root). The returned buffer is malloc'd, NUL-terminated, owned
 * by the caller; a missing fixture fails the test. */
#ifndef CHIMERA_TEST_IMPORTS_FIXTURE_H
#define CHIMERA_TEST_IMPORTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#define FIXTURE_DIR "tests/fixtures/imports/"

static char *fixture(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    char *data = NULL;
    long n = -1;
    snprintf(path, sizeof path, FIXTURE_DIR "%s", name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("missing fixture %s (run from the repository root)", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        fail_msg("cannot size %s", path);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    *len = fread(data, 1, (size_t)n, f);
    assert_int_equal(*len, (size_t)n);
    data[n] = '\0';
    fclose(f);
    return data;
}

#endif
