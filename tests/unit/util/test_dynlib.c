/* test_dynlib.c — unit tests for src/util/dynlib.c: the first library of
 * the list that loads and has every symbol is used; one that is missing is
 * skipped; one that lacks a symbol is an error naming both; an empty list
 * says so. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/dynlib.h"

typedef double (*unary_fn)(double);

static void test_loads_first_that_works(void **state)
{
    (void)state;
    static const char *const SO[] = {"libchimera-no-such-library.so.1", "libm.so.6", NULL};
    unary_fn c = NULL, s = NULL;
    const dynlib_sym syms[] = {{"cos", (void **)&c}, {"sqrt", (void **)&s}};
    char err[256] = "";
    assert_int_equal(dynlib_load(SO, syms, 2, err, sizeof err), 0);
    assert_non_null(c);
    assert_non_null(s);
    assert_true(c(0.0) == 1.0);
    assert_true(s(81.0) == 9.0);
}

static void test_lacks_symbol(void **state)
{
    (void)state;
    static const char *const SO[] = {"libm.so.6", "libm.so.6", NULL};
    void *a = NULL, *b = NULL;
    const dynlib_sym syms[] = {{"cos", &a}, {"chimera_no_such_symbol", &b}};
    char err[256] = "";
    assert_int_equal(dynlib_load(SO, syms, 2, err, sizeof err), -1);
    assert_string_equal(err, "libm.so.6 lacks chimera_no_such_symbol");
    assert_null(b);
}

static void test_none_loads(void **state)
{
    (void)state;
    static const char *const SO[] = {"libchimera-no-such-library.so.1", NULL};
    static const char *const NONE[] = {NULL};
    void *a = NULL;
    const dynlib_sym syms[] = {{"cos", &a}};
    char err[256] = "";
    assert_int_equal(dynlib_load(SO, syms, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "libchimera-no-such-library.so.1"));
    assert_null(a);
    assert_int_equal(dynlib_load(NONE, syms, 1, err, sizeof err), -1);
    assert_string_equal(err, "no library name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_first_that_works),
        cmocka_unit_test(test_lacks_symbol),
        cmocka_unit_test(test_none_loads),
    };
    return cmocka_run_group_tests_name("util/dynlib", tests, NULL, NULL);
}
