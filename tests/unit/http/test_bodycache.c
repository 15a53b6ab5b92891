/* test_bodycache.c — src/http/bodycache.c: an answer stored under its ETag
 * is found again, gzip made once and kept, the byte budget held by
 * dropping the least recently used, an entry dropped while a reader holds
 * it stays readable until released, a re-store replaces, oversize bodies
 * and a zero budget are refused (the caller keeps the body). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/bodycache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *body_of(size_t n, char c)
{
    char *p = malloc(n + 1);
    memset(p, c, n);
    p[n] = '\0';
    return p;
}

static void test_store_lookup_release(void **state)
{
    (void)state;
    bc_configure(1 << 20);
    bc_entry *e = bc_store("\"a\"", body_of(3000, 'x'), 3000);
    assert_non_null(e);
    bc_release(e);
    assert_null(bc_lookup("\"b\""));
    e = bc_lookup("\"a\"");
    assert_non_null(e);
    size_t len;
    const char *b = bc_body(e, &len);
    assert_int_equal(len, 3000);
    assert_int_equal(b[2999], 'x');
    size_t zlen, zlen2;
    const char *z = bc_gzip(e, &zlen);
    assert_non_null(z);
    assert_true(zlen > 0 && zlen < 3000);
    assert_ptr_equal(bc_gzip(e, &zlen2), z);        /* made once */
    assert_int_equal(zlen2, zlen);
    bc_release(e);
    size_t n, bytes;
    bc_usage(&n, &bytes);
    assert_int_equal(n, 1);
    assert_true(bytes >= 3000 + zlen);
    bc_configure(0);
    bc_usage(&n, &bytes);
    assert_int_equal(n, 0);
    assert_int_equal(bytes, 0);
}

static void test_budget_drops_least_recently_used(void **state)
{
    (void)state;
    bc_configure(40000);
    char tag[16];
    for (int i = 0; i < 10; i++) {
        snprintf(tag, sizeof tag, "\"%d\"", i);
        bc_entry *e = bc_store(tag, body_of(9000, 'a'), 9000);
        assert_non_null(e);
        bc_release(e);
        if (i == 2)                             /* keep "0" recently used */
            bc_release(bc_lookup("\"0\""));
    }
    size_t n, bytes;
    bc_usage(&n, &bytes);
    assert_true(bytes <= 40000);
    assert_int_equal(n, 4);
    assert_null(bc_lookup("\"1\""));
    bc_entry *e = bc_lookup("\"9\"");
    assert_non_null(e);
    bc_release(e);
    bc_configure(0);
}

static void test_dropped_entry_stays_readable(void **state)
{
    (void)state;
    bc_configure(40000);
    bc_entry *held = bc_store("\"held\"", body_of(9000, 'h'), 9000);
    assert_non_null(held);
    bc_configure(40000);                        /* empties the cache */
    assert_null(bc_lookup("\"held\""));
    size_t len;
    assert_int_equal(bc_body(held, &len)[8999], 'h');
    assert_non_null(bc_gzip(held, &len));       /* not counted: no longer cached */
    size_t n, bytes;
    bc_usage(&n, &bytes);
    assert_int_equal(bytes, 0);
    bc_release(held);                           /* freed now (ASan: no leak) */
    bc_configure(0);
}

static void test_restore_replaces_and_limits(void **state)
{
    (void)state;
    bc_configure(40000);
    bc_entry *a = bc_store("\"t\"", body_of(100, '1'), 100);
    bc_entry *b = bc_store("\"t\"", body_of(100, '2'), 100);
    assert_non_null(a);
    assert_non_null(b);
    bc_entry *c = bc_lookup("\"t\"");
    size_t len;
    assert_int_equal(bc_body(c, &len)[0], '2');
    bc_release(a);
    bc_release(b);
    bc_release(c);
    char *big = body_of(20000, 'b');            /* over a quarter of the budget */
    assert_null(bc_store("\"big\"", big, 20000));
    free(big);
    bc_configure(0);
    char *any = body_of(10, 'z');
    assert_null(bc_store("\"z\"", any, 10));
    free(any);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_lookup_release),
        cmocka_unit_test(test_budget_drops_least_recently_used),
        cmocka_unit_test(test_dropped_entry_stays_readable),
        cmocka_unit_test(test_restore_replaces_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
