/* test_routes.c — the route declarations (routes.def) hold together: every
 * route whose path names a workspace's resource declares the scope that
 * resolves it and a workspace role (so the dispatcher checks access before
 * the handler runs: a route cannot forget it), unscoped routes declare no
 * role, routes below admin or owner say why they refuse, and no method +
 * pattern appears twice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/access.h"
#include "api/api.h"
#include "api/conditional.h"
#include "store/stamps.h"

#include <stdio.h>
#include <string.h>

/* The scope a pattern's first parameter asks for. */
static route_scope scope_of_pattern(const char *p)
{
    if (strncmp(p, "/api/workspaces/{wid}", 21) == 0)
        return RS_WORKSPACE;
    if (strncmp(p, "/api/conversations/{cid}", 24) == 0)
        return RS_CONVERSATION;
    if (strncmp(p, "/api/memories/{memId}", 21) == 0)
        return RS_MEMORY;
    return RS_NONE;
}

static void test_scoped_routes_declare_scope_and_role(void **state)
{
    (void)state;
    size_t n;
    const route *rt = api_routes(&n);
    assert_true(n > 60);
    for (size_t i = 0; i < n; i++) {
        const route *r = &rt[i];
        char what[200];
        snprintf(what, sizeof what, "%s %s", r->method, r->pattern);
        route_scope want = scope_of_pattern(r->pattern);
        if (r->scope != want || (want != RS_NONE) != (r->role != RR_USER))
            fail_msg("%s: scope %d role %d, the path asks for scope %d and a role", what,
                     (int)r->scope, (int)r->role, (int)want);
        if ((r->role == RR_ADMIN || r->role == RR_OWNER || r->role == RR_ADMIN_OR_SELF) &&
            (!r->denied || !*r->denied))
            fail_msg("%s: no 403 message for callers below its role", what);
        if (want != RS_NONE && (r->flags & ROUTE_PUBLIC))
            fail_msg("%s: a workspace-scoped route cannot be public", what);
        if ((r->flags & ROUTE_CONV_FULL) && r->scope != RS_CONVERSATION)
            fail_msg("%s: ROUTE_CONV_FULL without a conversation scope", what);
        assert_non_null(r->handler);
    }
}

static void test_no_route_declared_twice(void **state)
{
    (void)state;
    size_t n;
    const route *rt = api_routes(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(rt[i].method, rt[j].method) == 0 &&
                strcmp(rt[i].pattern, rt[j].pattern) == 0)
                fail_msg("%s %s declared twice", rt[i].method, rt[i].pattern);
}

/* Every ETag rule names exactly one GET route, of a member's or the
 * user's own data, with some stamp to decide on; a workspace rule is on a
 * workspace-scoped route and a user rule on an unscoped one. */
static void test_etag_rules_name_get_routes(void **state)
{
    (void)state;
    size_t nr, n;
    const etag_rule *rules = etag_rules(&nr);
    const route *t = api_routes(&n);
    for (size_t i = 0; i < nr; i++) {
        int found = 0;
        for (size_t k = 0; k < n; k++) {
            if (t[k].handler != rules[i].handler)
                continue;
            found++;
            assert_string_equal(t[k].method, "GET");
            assert_ptr_equal(etag_rule_of(&t[k]), &rules[i]);
            assert_true(t[k].role == RR_MEMBER || t[k].role == RR_USER);
            assert_true(rules[i].ws || rules[i].user || rules[i].visible);
            if (rules[i].ws)
                assert_int_not_equal(t[k].scope, RS_NONE);
            if (rules[i].user || rules[i].visible)
                assert_int_equal(t[k].scope, RS_NONE);
        }
        assert_int_equal(found, 1);
    }
    for (size_t k = 0; k < n; k++)
        if (strcmp(t[k].method, "GET") != 0)
            assert_null(etag_rule_of(&t[k]));
}

static void test_role_names(void **state)
{
    (void)state;
    assert_null(api_role_name(RR_USER));
    assert_string_equal(api_role_name(RR_MEMBER), "member");
    assert_string_equal(api_role_name(RR_WRITER), "writer");
    assert_string_equal(api_role_name(RR_ADMIN), "admin");
    assert_string_equal(api_role_name(RR_ADMIN_OR_SELF), "admin");
    assert_string_equal(api_role_name(RR_OWNER), "owner");
    assert_string_equal(api_role_name(RR_SELF), "self");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scoped_routes_declare_scope_and_role),
        cmocka_unit_test(test_no_route_declared_twice),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_etag_rules_name_get_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
