/* test_jsonx.c — unit tests for src/util/jsonx.h: a chain of json_put /
 * json_push keeps every step, and ends NULL (the container freed: `make
 * asan` checks) when any step failed, however early. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/jsonx.h"

static void test_put_chain_keeps_every_key(void **state)
{
    (void)state;
    json_t *o = json_put(json_object(), "a", json_integer(1));
    o = json_put(o, "b", json_string("two"));
    o = json_put(o, "c", json_null());
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "a")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "b")), "two");
    json_decref(o);
}

static void test_put_failure_ends_the_chain(void **state)
{
    (void)state;
    json_t *o = json_put(json_object(), "a", json_integer(1));
    o = json_put(o, "b", NULL);             /* a value that could not be made */
    assert_null(o);
    o = json_put(o, "c", json_string("taken and freed"));
    assert_null(o);
    assert_null(json_put(json_object(), NULL, json_true()));    /* no key */
}

static void test_push_chain(void **state)
{
    (void)state;
    json_t *a = json_array();
    for (int i = 0; i < 5; i++)
        a = json_push(a, json_integer(i));
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 5);
    assert_int_equal(json_integer_value(json_array_get(a, 4)), 4);
    a = json_push(a, NULL);
    assert_null(a);
    for (int i = 0; i < 3; i++)
        a = json_push(a, json_integer(i));  /* each value freed, a stays NULL */
    assert_null(a);
    assert_null(json_push(json_object(), json_true()));  /* not an array */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_chain_keeps_every_key),
        cmocka_unit_test(test_put_failure_ends_the_chain),
        cmocka_unit_test(test_push_chain),
    };
    return cmocka_run_group_tests_name("util/jsonx", tests, NULL, NULL);
}
