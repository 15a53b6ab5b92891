/* test_ids.c — unit tests for src/util/ids.c: UUID v4 shape, version and
 * variant bits, uniqueness, prefixed ids, hex runs and id_is_uuid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "util/ids.h"

#define DRAWS 10000

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_lower_hex(s[i]))
            return false;
    return true;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_uuid_format(void **state)
{
    (void)state;
    for (int n = 0; n < DRAWS; n++) {
        char u[ID_UUID_LEN + 1];
        memset(u, 'Q', sizeof u);
        id_uuid4(u);
        assert_int_equal(strlen(u), ID_UUID_LEN);
        for (int i = 0; i < ID_UUID_LEN; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                assert_int_equal(u[i], '-');
            else
                assert_true(is_lower_hex(u[i]));
        }
        assert_int_equal(u[14], '4');                      /* version */
        assert_non_null(strchr("89ab", u[19]));            /* variant 10xx */
        assert_true(id_is_uuid(u));
    }
}

static void test_uuid_unique(void **state)
{
    char (*all)[ID_UUID_LEN + 1] = calloc(DRAWS, sizeof *all);
    (void)state;
    assert_non_null(all);
    for (int i = 0; i < DRAWS; i++)
        id_uuid4(all[i]);
    qsort(all, DRAWS, sizeof *all, cmp_str);
    for (int i = 1; i < DRAWS; i++)
        assert_string_not_equal(all[i - 1], all[i]);
    free(all);
}

/* Every random nibble position takes every value over many draws, and the
 * variant nibble takes all of 8, 9, a, b. */
static void test_uuid_bits_vary(void **state)
{
    unsigned seen[ID_UUID_LEN] = { 0 };
    (void)state;
    for (int n = 0; n < 2000; n++) {
        char u[ID_UUID_LEN + 1];
        id_uuid4(u);
        for (int i = 0; i < ID_UUID_LEN; i++)
            if (u[i] != '-')
                seen[i] |= 1u << hexval(u[i]);
    }
    for (int i = 0; i < ID_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            continue;
        if (i == 14)
            assert_int_equal(seen[i], 1u << 4);
        else if (i == 19)
            assert_int_equal(seen[i], 0xf00u);
        else
            assert_int_equal(seen[i], 0xffffu);
    }
}

static void test_is_uuid(void **state)
{
    (void)state;
    assert_true(id_is_uuid("3f2c0d9e-8a51-4c4e-9c1e-0b7a7d2f6a11"));
    assert_true(id_is_uuid("3F2C0D9E-8A51-4C4E-9C1E-0B7A7D2F6A11"));
    assert_true(id_is_uuid("00000000-0000-0000-0000-000000000000"));
    assert_true(id_is_uuid("3f2c0d9e-8a51-1c4e-0c1e-0b7a7d2f6a11")); /* any version */
    assert_false(id_is_uuid(NULL));
    assert_false(id_is_uuid(""));
    assert_false(id_is_uuid("3f2c0d9e-8a51-4c4e-9c1e-0b7a7d2f6a1"));
    assert_false(id_is_uuid("3f2c0d9e-8a51-4c4e-9c1e-0b7a7d2f6a111"));
    assert_false(id_is_uuid("3f2c0d9e-8a51-4c4e-9c1e-0b7a7d2f6a11 "));
    assert_false(id_is_uuid("3f2c0d9e8a51-4c4e-9c1e-0b7a7d2f6a11-"));
    assert_false(id_is_uuid("3f2c0d9e-8a51-4c4e-9c1e_0b7a7d2f6a11"));
    assert_false(id_is_uuid("3f2c0d9g-8a51-4c4e-9c1e-0b7a7d2f6a11"));
    assert_false(id_is_uuid("3f2c0d9e8a514c4e9c1e0b7a7d2f6a11"));
    assert_false(id_is_uuid("{3f2c0d9e-8a51-4c4e-9c1e-0b7a7d2f6a11}"));
    assert_false(id_is_uuid("workspace-1a2b3c4d5e6f"));
}

static void check_prefixed(const char *prefix)
{
    char out[ID_MAX];
    size_t plen = strlen(prefix);

    assert_int_equal(id_prefixed(prefix, out, sizeof out), 0);
    assert_int_equal(strlen(out), plen + 13);
    assert_memory_equal(out, prefix, plen);
    assert_int_equal(out[plen], '-');
    assert_true(all_lower_hex(out + plen + 1, 12));
}

static void test_prefixed_format(void **state)
{
    static const char *prefixes[] = { "workspace", "tm", "inv", "int", "conv",
                                      "msg", "memory", "activity", "load", "" };
    (void)state;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        for (int n = 0; n < 200; n++)
            check_prefixed(prefixes[i]);
}

static void test_prefixed_unique(void **state)
{
    char (*all)[ID_MAX] = calloc(DRAWS, sizeof *all);
    (void)state;
    assert_non_null(all);
    for (int i = 0; i < DRAWS; i++)
        assert_int_equal(id_prefixed("msg", all[i], ID_MAX), 0);
    qsort(all, DRAWS, sizeof *all, cmp_str);
    for (int i = 1; i < DRAWS; i++)
        assert_string_not_equal(all[i - 1], all[i]);
    free(all);
}

static void test_prefixed_too_small(void **state)
{
    char buf[64];
    (void)state;
    /* "tm-" + 12 + NUL = 16 bytes exactly fits; 15 does not. */
    memset(buf, 'X', sizeof buf);
    assert_int_equal(id_prefixed("tm", buf, 16), 0);
    assert_int_equal(strlen(buf), 15);
    assert_int_equal(buf[16], 'X');
    memset(buf, 'X', sizeof buf);
    assert_int_equal(id_prefixed("tm", buf, 15), -1);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[15], 'X');
    assert_int_equal(id_prefixed("tm", buf, 1), -1);
    assert_int_equal(id_prefixed("tm", buf, 0), -1);
    assert_int_equal(buf[1], 'X');
    assert_int_equal(id_prefixed(NULL, buf, sizeof buf), -1);
    assert_int_equal(id_prefixed("tm", NULL, sizeof buf), -1);
    /* A prefix longer than the whole buffer must not wrap around. */
    assert_int_equal(id_prefixed("a-prefix-that-is-much-longer-than-sixteen", buf, 16), -1);
    assert_int_equal(id_prefixed("workspace", buf, ID_MAX), 0);
}

static void test_hex(void **state)
{
    static const size_t lens[] = { 0, 1, 2, 7, 12, 31, 32, 63, 64, 65, 100, 257 };
    char buf[300];
    (void)state;
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        size_t n = lens[i];
        memset(buf, 'X', sizeof buf);
        id_hex(buf, n);
        assert_int_equal(strlen(buf), n);
        assert_true(all_lower_hex(buf, n));
        assert_int_equal(buf[n + 1], 'X');
    }
}

static void test_hex_every_digit(void **state)
{
    unsigned seen = 0;
    char buf[2];
    (void)state;
    for (int n = 0; n < 2000; n++) {
        id_hex(buf, 1);
        seen |= 1u << hexval(buf[0]);
    }
    assert_int_equal(seen, 0xffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_format),
        cmocka_unit_test(test_uuid_unique),
        cmocka_unit_test(test_uuid_bits_vary),
        cmocka_unit_test(test_is_uuid),
        cmocka_unit_test(test_prefixed_format),
        cmocka_unit_test(test_prefixed_unique),
        cmocka_unit_test(test_prefixed_too_small),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_hex_every_digit),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("util/ids", tests, NULL, NULL);
}
