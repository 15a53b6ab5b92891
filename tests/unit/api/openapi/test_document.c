/* test_document.c — unit tests for src/api/openapi/document.c and
 * shapes.c: the three tables (routes.def, operations.def, schemas.def)
 * agree, every declaration builds, every route is an operation with a
 * unique operationId, GETs (but the streamed export) declare 304 and the
 * caching headers, routes with a token may fail with 401 and 429, and
 * response shapes refuse unknown fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "api/api.h"
#include "api/openapi/document.h"

static void test_tables_agree(void **state)
{
    (void)state;
    char why[256] = "";
    if (!oas_consistent(why, sizeof why))
        fail_msg("%s", why);
}

static void test_every_route_is_an_operation(void **state)
{
    (void)state;
    json_t *doc = oas_document();
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    size_t n;
    const route *rt = api_routes(&n);
    json_t *ids = json_object();
    for (size_t i = 0; i < n; i++) {
        char m[8] = { 0 };
        for (size_t k = 0; k < 7 && rt[i].method[k]; k++)
            m[k] = (char)(rt[i].method[k] | 0x20);
        json_t *op = json_object_get(json_object_get(json_object_get(doc, "paths"),
                                                     rt[i].pattern), m);
        assert_non_null(op);
        const char *id = json_string_value(json_object_get(op, "operationId"));
        assert_non_null(id);
        assert_null(json_object_get(ids, id));
        json_object_set_new(ids, id, json_true());
        json_t *resp = json_object_get(op, "responses");
        assert_non_null(json_object_get(resp, "500"));
        bool pub = rt[i].flags & ROUTE_PUBLIC;
        if (!pub)       /* public routes may still say 401 (login, refresh) */
            assert_true(json_object_get(resp, "401") && json_object_get(resp, "429"));
        if (strcmp(rt[i].method, "GET") == 0 && strcmp(rt[i].pattern, "/api/export") != 0) {
            assert_non_null(json_object_get(resp, "304"));
            json_t *h = json_object_get(json_object_get(resp, "200"), "headers");
            assert_non_null(json_object_get(h, "ETag"));
            assert_non_null(json_object_get(h, "Cache-Control"));
        }
        if (strchr(rt[i].pattern, '{'))
            assert_non_null(json_object_get(resp, "404"));
    }
    json_decref(ids);
    json_decref(doc);
}

static void test_shapes(void **state)
{
    (void)state;
    json_t *s = oas_shape("Workspace");
    assert_non_null(s);
    assert_true(json_is_false(json_object_get(s, "additionalProperties")));
    assert_int_equal(json_array_size(json_object_get(s, "required")), 8);
    json_decref(s);
    s = oas_shape("WorkspaceCreate");       /* requests ignore unknown fields (D12) */
    assert_null(json_object_get(s, "additionalProperties"));
    json_decref(s);
    assert_null(oas_shape("ImportFile (multipart)"));
    assert_true(oas_shape_kind("ExportFile") & S_RAW);
    assert_int_equal(oas_shape_kind("NoSuchShape"), -1);
    int presence = -1;
    assert_string_equal(oas_field_type("Register", "password", &presence), "string(8..4096)");
    assert_int_equal(presence, F_REQ);
    assert_null(oas_field_type("Register", "nickname", &presence));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_agree),
        cmocka_unit_test(test_every_route_is_an_operation),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
