/* test_types.c — unit tests for src/api/openapi/types.c: each construct of
 * the schemas.def type language as JSON Schema, examples, the scalar parse
 * the request validators use, and malformed specs refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "api/openapi/types.h"

static void expect_schema(const char *spec, const char *json)
{
    json_t *got = oas_type(spec), *want = json_loads(json, 0, NULL);
    assert_non_null(want);
    if (!got || !json_equal(got, want)) {
        char *g = got ? json_dumps(got, JSON_SORT_KEYS) : strdup("NULL");
        fail_msg("%s: got %s, want %s", spec, g, json);
    }
    json_decref(got);
    json_decref(want);
}

static void test_scalars(void **state)
{
    (void)state;
    expect_schema("string", "{\"type\":\"string\"}");
    expect_schema("string(1..255)", "{\"type\":\"string\",\"minLength\":1,\"maxLength\":255}");
    expect_schema("string(..50)", "{\"type\":\"string\",\"maxLength\":50}");
    expect_schema("string(8..)", "{\"type\":\"string\",\"minLength\":8}");
    expect_schema("integer(0..100)", "{\"type\":\"integer\",\"minimum\":0,\"maximum\":100}");
    expect_schema("number", "{\"type\":\"number\"}");
    expect_schema("boolean", "{\"type\":\"boolean\"}");
    expect_schema("object", "{\"type\":\"object\"}");
    expect_schema("any", "{}");
    expect_schema("date-time", "{\"type\":\"string\",\"format\":\"date-time\"}");
    expect_schema("email(1..254)",
                  "{\"type\":\"string\",\"format\":\"email\",\"minLength\":1,\"maxLength\":254}");
    expect_schema("id:workspace",
                  "{\"type\":\"string\",\"pattern\":\"^workspace-[0-9a-f]{12}$\"}");
    expect_schema("enum:a|b c", "{\"type\":\"string\",\"enum\":[\"a\",\"b c\"]}");
}

static void test_composites(void **state)
{
    (void)state;
    expect_schema("[string]", "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}");
    expect_schema("Memory", "{\"$ref\":\"#/components/schemas/Memory\"}");
    expect_schema("[TeamMember]",
                  "{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/TeamMember\"}}");
    expect_schema("string?", "{\"type\":[\"string\",\"null\"]}");
    expect_schema("enum:a|b?", "{\"type\":[\"string\",\"null\"],\"enum\":[\"a\",\"b\",null]}");
    expect_schema("[number]?", "{\"type\":[\"array\",\"null\"],\"items\":{\"type\":\"number\"}}");
    expect_schema("MemoryRef?",
                  "{\"anyOf\":[{\"$ref\":\"#/components/schemas/MemoryRef\"},{\"type\":\"null\"}]}");
}

static void test_malformed_specs(void **state)
{
    (void)state;
    const char *bad[] = { "", "?", "[", "[]", "[string", "strin", "string(1..", "string(a..b)",
                          "string(1..2)x", "integer(..x)", "float", NULL };
    for (size_t i = 0; bad[i]; i++) {
        json_t *t = oas_type(bad[i]);
        if (t)
            fail_msg("%s parsed", bad[i]);
    }
    assert_null(oas_type(NULL));
}

static void test_examples(void **state)
{
    (void)state;
    json_t *e = oas_example("id:conv");
    assert_string_equal(json_string_value(e), "conv-1a2b3c4d5e6f");
    json_decref(e);
    e = oas_example("enum:online|away");
    assert_string_equal(json_string_value(e), "online");
    json_decref(e);
    e = oas_example("integer(8..)");
    assert_int_equal(json_integer_value(e), 8);
    json_decref(e);
    e = oas_example("[string]");
    assert_int_equal(json_array_size(e), 1);
    json_decref(e);
    assert_null(oas_example("Memory"));
}

static void test_scalar_parse(void **state)
{
    (void)state;
    oas_scalar s;
    assert_int_equal(oas_scalar_parse("string(..100)?", &s), 0);
    assert_string_equal(s.base, "string");
    assert_true(s.nullable && !s.has_lo && s.has_hi);
    assert_int_equal(s.hi, 100);
    assert_int_equal(oas_scalar_parse("enum:x|y", &s), 0);
    assert_string_equal(s.base, "enum");
    assert_string_equal(s.choices, "x|y");
    assert_int_equal(oas_scalar_parse("integer(1..100)", &s), 0);
    assert_true(s.has_lo && s.lo == 1 && s.hi == 100);
    assert_int_equal(oas_scalar_parse("[string]", &s), -1);
    assert_int_equal(oas_scalar_parse("Memory", &s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_composites),
        cmocka_unit_test(test_malformed_specs),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_scalar_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
