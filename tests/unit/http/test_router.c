/* test_router.c — unit tests for src/http/router.c over a small route table
 * of its own: table order as precedence (/memories/search before
 * /memories/{memId}), parameter capture in pattern order, 404 vs 405,
 * HEAD as GET, empty and extra segments, router_path_matches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/router.h"

static void h_search(http_req *r) { (void)r; }
static void h_mem_get(http_req *r) { (void)r; }
static void h_mem_put(http_req *r) { (void)r; }
static void h_mem_del(http_req *r) { (void)r; }
static void h_ws_list(http_req *r) { (void)r; }
static void h_member(http_req *r) { (void)r; }
static void h_member_put(http_req *r) { (void)r; }
static void h_health(http_req *r) { (void)r; }
static void h_root(http_req *r) { (void)r; }
static void h_four(http_req *r) { (void)r; }
static void h_five(http_req *r) { (void)r; }
static void h_login(http_req *r) { (void)r; }

static const route TABLE[] = {
    { "POST", "/api/memories/search", h_search, 0, RS_NONE, RR_USER, NULL, "search", "results" },
    { "GET", "/api/memories/{memId}", h_mem_get, 0, RS_MEMORY, RR_MEMBER, NULL, "-", "memory" },
    { "PUT", "/api/memories/{memId}", h_mem_put, 0, RS_MEMORY, RR_MEMBER, NULL, "memory", "memory" },
    { "DELETE", "/api/memories/{memId}", h_mem_del, 0, RS_MEMORY, RR_MEMBER, NULL, "-", "-" },
    { "GET", "/api/workspaces", h_ws_list, 0, RS_NONE, RR_USER, NULL, "-", "workspaces" },
    { "GET", "/api/workspaces/{wid}/team/{userId}", h_member, 0, RS_WORKSPACE, RR_ADMIN, "no", "-", "member" },
    { "PUT", "/api/workspaces/{wid}/team/{userId}", h_member_put, 0, RS_WORKSPACE, RR_ADMIN, "no", "role", "member" },
    { "GET", "/api/health", h_health, ROUTE_PUBLIC, RS_NONE, RR_USER, NULL, "-", "health" },
    { "GET", "/", h_root, ROUTE_PUBLIC, RS_NONE, RR_USER, NULL, "-", "-" },
    { "GET", "/p/{a}/{b}/{c}/{d}", h_four, 0, RS_NONE, RR_USER, NULL, "-", "-" },
    { "GET", "/q/{a}/{b}/{c}/{d}/{e}", h_five, 0, RS_NONE, RR_USER, NULL, "-", "-" },
    { "POST", "/api/auth/login", h_login, ROUTE_PUBLIC, RS_NONE, RR_USER, NULL, "login", "tokens" },
};
#define NROUTES (sizeof TABLE / sizeof *TABLE)

static void req_init(http_req *r, const char *method, const char *path)
{
    memset(r, 0, sizeof *r);
    r->method = method;
    r->path = strdup(path);
    assert_non_null(r->path);
}

static void req_done(http_req *r)
{
    for (int i = 0; i < REQ_MAX_PARAMS; i++)
        free(r->params[i]);
    free(r->path);
    memset(r, 0, sizeof *r);
}

/* Matches and expects ROUTE_FOUND with handler h and the given params. */
static void expect_found(const char *method, const char *path, route_handler h, int nparams,
                         ...)
{
    http_req r;
    const route *rt = NULL;
    va_list ap;
    req_init(&r, method, path);
    if (router_match(TABLE, NROUTES, &r, &rt) != ROUTE_FOUND)
        fail_msg("%s %s: not found", method, path);
    assert_non_null(rt);
    if (rt->handler != h)
        fail_msg("%s %s: matched %s %s", method, path, rt->method, rt->pattern);
    assert_int_equal(r.nparams, nparams);
    va_start(ap, nparams);
    for (int i = 0; i < nparams; i++) {
        const char *want = va_arg(ap, const char *);
        assert_non_null(r.params[i]);
        assert_string_equal(r.params[i], want);
    }
    va_end(ap);
    for (int i = nparams; i < REQ_MAX_PARAMS; i++)
        assert_null(r.params[i]);
    req_done(&r);
}

static void expect_miss(const char *method, const char *path, route_match want)
{
    http_req r;
    const route *rt = TABLE;
    req_init(&r, method, path);
    route_match got = router_match(TABLE, NROUTES, &r, &rt);
    if (got != want)
        fail_msg("%s %s: got %d want %d", method, path, (int)got, (int)want);
    /* A 405 names the route whose path matched (for the log); a 404 none. */
    if (want == ROUTE_NO_METHOD) {
        assert_non_null(rt);
        assert_true(router_path_matches(rt->pattern, path));
    } else {
        assert_null(rt);
    }
    assert_int_equal(r.nparams, 0);
    for (int i = 0; i < REQ_MAX_PARAMS; i++)
        assert_null(r.params[i]);
    req_done(&r);
}

/* ---- matching ---------------------------------------------------------- */

static void test_literal_routes(void **state)
{
    (void)state;
    expect_found("GET", "/api/workspaces", h_ws_list, 0);
    expect_found("GET", "/api/health", h_health, 0);
    expect_found("GET", "/", h_root, 0);
    expect_found("POST", "/api/auth/login", h_login, 0);
}

/* The literal route listed first wins over its parameterised twin. */
static void test_precedence(void **state)
{
    (void)state;
    expect_found("POST", "/api/memories/search", h_search, 0);
    expect_found("GET", "/api/memories/mem-0123456789ab", h_mem_get, 1, "mem-0123456789ab");
    expect_found("PUT", "/api/memories/abc", h_mem_put, 1, "abc");
    expect_found("DELETE", "/api/memories/abc", h_mem_del, 1, "abc");
    expect_miss("POST", "/api/memories/searchx", ROUTE_NO_METHOD);
}

static void test_params_in_order(void **state)
{
    (void)state;
    expect_found("GET", "/api/workspaces/ws-1/team/u-2", h_member, 2, "ws-1", "u-2");
    expect_found("PUT", "/api/workspaces/W/team/U", h_member_put, 2, "W", "U");
    expect_found("GET", "/p/1/2/3/4", h_four, 4, "1", "2", "3", "4");
    /* Parameters are opaque: case, dots, percent signs and UTF-8 kept. */
    expect_found("GET", "/api/memories/AbC.%20x", h_mem_get, 1, "AbC.%20x");
    expect_found("GET", "/api/memories/\xc3\xa9t\xc3\xa9", h_mem_get, 1, "\xc3\xa9t\xc3\xa9");
    expect_found("GET", "/api/memories/{memId}", h_mem_get, 1, "{memId}");
}

/* More captures than REQ_MAX_PARAMS never match (nothing written past
 * the array). */
static void test_too_many_params(void **state)
{
    (void)state;
    expect_miss("GET", "/q/1/2/3/4/5", ROUTE_NO_PATH);
}

static void test_head_is_get(void **state)
{
    (void)state;
    expect_found("HEAD", "/api/workspaces", h_ws_list, 0);
    expect_found("HEAD", "/api/memories/m1", h_mem_get, 1, "m1");
    expect_miss("HEAD", "/api/auth/login", ROUTE_NO_METHOD);       /* POST only */
    /* HEAD on /memories/search falls through to the GET {memId} twin. */
    expect_found("HEAD", "/api/memories/search", h_mem_get, 1, "search");
}

/* ---- 404 and 405 ------------------------------------------------------- */

static void test_not_found(void **state)
{
    static const char *const paths[] = {
        "", "/api", "/api/", "/api/nope", "/api/memories", "/api/memories/",
        "/api//x", "/api/memories//", "/api/workspaces/", "/api/workspaces//team/u",
        "/api/workspaces/w/team/", "/api/workspaces/w/team", "/api/workspaces/w/team//",
        "/api/memories/a/b", "/api/memories/search/x", "/api/workspacesx",
        "/api/workspaces/x", "/API/workspaces", "/api/Workspaces", "//api/workspaces",
        "api/workspaces", "/api/health/", "/api/health/x", "//", "/p/1/2/3", "/p/1/2/3/4/5",
        "/p/1//3/4", "/p//2/3/4",
    };
    (void)state;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        expect_miss("GET", paths[i], ROUTE_NO_PATH);
        expect_miss("POST", paths[i], ROUTE_NO_PATH);
    }
}

static void test_wrong_method(void **state)
{
    (void)state;
    expect_miss("POST", "/api/workspaces", ROUTE_NO_METHOD);
    expect_miss("DELETE", "/api/health", ROUTE_NO_METHOD);
    expect_miss("POST", "/api/memories/m1", ROUTE_NO_METHOD);
    expect_miss("PATCH", "/api/memories/m1", ROUTE_NO_METHOD);
    expect_miss("DELETE", "/api/workspaces/w/team/u", ROUTE_NO_METHOD);
    expect_miss("OPTIONS", "/api/workspaces/w/team/u", ROUTE_NO_METHOD);
    expect_miss("get", "/api/workspaces", ROUTE_NO_METHOD);      /* methods are exact */
    expect_miss("PUT", "/", ROUTE_NO_METHOD);
    expect_miss("GET", "/api/auth/login", ROUTE_NO_METHOD);
}

/* GET /api/memories/search is not a 405: the path also matches the
 * parameterised GET route, which takes it with memId = "search". (The
 * literal route only shadows its twin for its own method.) */
static void test_search_other_methods(void **state)
{
    (void)state;
    expect_found("GET", "/api/memories/search", h_mem_get, 1, "search");
    expect_found("DELETE", "/api/memories/search", h_mem_del, 1, "search");
}

static void test_empty_table(void **state)
{
    http_req r;
    const route *rt = TABLE;
    (void)state;
    req_init(&r, "GET", "/");
    assert_int_equal(router_match(TABLE, 0, &r, &rt), ROUTE_NO_PATH);
    assert_null(rt);
    req_done(&r);
}

/* ---- router_path_matches ----------------------------------------------- */

static void test_path_matches(void **state)
{
    static const struct { const char *pat, *path; int want; } cases[] = {
        { "/", "/", 1 },
        { "/", "", 0 },
        { "/", "/x", 0 },
        { "/a", "/a", 1 },
        { "/a", "/a/", 0 },
        { "/a", "/ab", 0 },
        { "/ab", "/a", 0 },
        { "/a/b", "/a/b", 1 },
        { "/a/b", "/a", 0 },
        { "/a", "/a/b", 0 },
        { "/{x}", "/anything", 1 },
        { "/{x}", "/", 0 },
        { "/{x}", "//", 0 },
        { "/{x}/y", "/a/y", 1 },
        { "/{x}/y", "//y", 0 },
        { "/{x}/y", "/a/b/y", 0 },
        { "/{x}/{y}", "/a/b", 1 },
        { "/{x}/{y}", "/a/", 0 },
        { "/{x}/{y}", "/a", 0 },
        { "/api//x", "/api//x", 1 },              /* literal empty segment */
        { "/api/{id}/x", "/api//x", 0 },
        { "/api/{id}/x", "/api/1/x", 1 },
        { "/api/{id}/x", "/api/1/x/", 0 },
        { "/api/memories/search", "/api/memories/search", 1 },
        { "/api/memories/search", "/api/memories/Search", 0 },
        { "/api/memories/{memId}", "/api/memories/search", 1 },
        { "/{a}/{b}/{c}/{d}/{e}", "/1/2/3/4/5", 1 }, /* no captures: no cap */
        { "/x{y}", "/xy", 0 },                    /* braces only as a whole segment */
        { "/x{y}", "/x{y}", 1 },
        { "", "", 1 },
        { "", "/", 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = router_path_matches(cases[i].pat, cases[i].path);
        if (!got != !cases[i].want)
            fail_msg("router_path_matches(\"%s\", \"%s\") = %d", cases[i].pat,
                     cases[i].path, got);
    }
}

/* Matching does not modify the path; a match after a miss starts clean. */
static void test_path_untouched(void **state)
{
    http_req r;
    const route *rt;
    (void)state;
    req_init(&r, "PUT", "/api/workspaces/w1/team/u1");
    assert_int_equal(router_match(TABLE, NROUTES, &r, &rt), ROUTE_FOUND);
    assert_string_equal(r.path, "/api/workspaces/w1/team/u1");
    assert_ptr_equal(rt, &TABLE[6]);
    assert_string_equal(rt->request, "role");
    assert_int_equal(r.nparams, 2);
    assert_string_equal(r.params[0], "w1");
    assert_string_equal(r.params[1], "u1");
    req_done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_routes),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_params_in_order),
        cmocka_unit_test(test_too_many_params),
        cmocka_unit_test(test_head_is_get),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_wrong_method),
        cmocka_unit_test(test_search_other_methods),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_path_matches),
        cmocka_unit_test(test_path_untouched),
    };
    return cmocka_run_group_tests_name("http/router", tests, NULL, NULL);
}
