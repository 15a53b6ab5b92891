/* test_static.c — the pure rules of src/http/static.c: which decoded paths
 * may name a file in the folder, which assets carry a Vite hash (cached for
 * a year), content types by extension, and If-None-Match matching. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/static.h"

#include <string.h>

static void test_safe_paths(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "/", "/index.html", "/assets/index-AbC123xy.js", "/workspaces/abc/memories",
        "/a..b", "/x.", "/caf\xc3\xa9", "/a b", "/name:with:colons",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(static_path_safe(ok[i]));
}

static void test_unsafe_paths(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "index.html", "/..", "/../etc/passwd", "/assets/../index.html", "/.", "/./x",
        "/.env", "/assets/.secret", "/.git/config", "//etc/passwd", "/a//b", "/a/",
        "/..\\x", "/a\\b", "/a\x01z", "/a\x7f", "/a\tb", "/a\nb",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(static_path_safe(bad[i]));
}

static void test_path_bounds(void **state)
{
    (void)state;
    char p[2048];
    memset(p, 'a', sizeof p);
    p[0] = '/';
    p[257] = '\0';                      /* one segment of 256 bytes */
    assert_false(static_path_safe(p));
    p[251] = '\0';                      /* 250 */
    assert_true(static_path_safe(p));
    for (size_t i = 0; i < 40; i += 2) {   /* "/a/a/…": 20 segments */
        p[i] = '/';
        p[i + 1] = 'a';
    }
    p[40] = '\0';
    assert_false(static_path_safe(p));
    p[32] = '\0';                       /* 16 segments */
    assert_true(static_path_safe(p));
    memset(p, 'a', sizeof p);
    p[0] = '/';
    for (size_t i = 200; i < 1100; i += 200)
        p[i] = '/';
    p[1100] = '\0';                     /* past 1024 bytes */
    assert_false(static_path_safe(p));
}

static void test_hashed_assets(void **state)
{
    (void)state;
    static const char *const hashed[] = {
        "/assets/index-AbC123xy.js", "/assets/app-9f8e7d6c.css", "/assets/index-AbC123xy.js.map",
        "/assets/Dashboard-CkBvYPZ7.js", "/assets/index-legacy-B7xq2_Lp.js",
        "/assets/index-Ab-d1234.js", "/assets/x-_a1b2c3d4e5f6.woff2", "/assets/fonts/inter-Ab12Cd34.woff2",
        "/assets/vendor-0123456789abcdef.js",
    };
    static const char *const plain[] = {
        "/index.html", "/index-AbC123xy.js", "/assets/logo.svg", "/assets/logo-big.svg",
        "/assets/my-long-component-name.js", "/assets/Button-Primary.svg",
        "/assets/-AbC123xy.js", "/assets/index-AbC123x.js", "/assets/index-AbC123xy",
        "/assets/index-AbC123xy.", "/assets/index-abcdefgh.js", "/assets/x.index-AbC123xy",
        "/assetsx/index-AbC123xy.js", "/assets/index-AbC1!3xy.js",
    };
    for (size_t i = 0; i < sizeof hashed / sizeof hashed[0]; i++)
        assert_true(static_is_hashed(hashed[i]));
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        assert_false(static_is_hashed(plain[i]));
}

static void test_content_types(void **state)
{
    (void)state;
    static const struct { const char *name, *type; bool z; } cases[] = {
        { "index.html", "text/html; charset=utf-8", true },
        { "a.JS", "text/javascript; charset=utf-8", true },
        { "a.mjs", "text/javascript; charset=utf-8", true },
        { "a.css", "text/css; charset=utf-8", true },
        { "a.json", "application/json", true },
        { "a.js.map", "application/json", true },
        { "a.svg", "image/svg+xml", true },
        { "a.txt", "text/plain; charset=utf-8", true },
        { "a.wasm", "application/wasm", true },
        { "a.ttf", "font/ttf", true },
        { "favicon.ico", "image/x-icon", true },
        { "a.png", "image/png", false },
        { "a.jpg", "image/jpeg", false },
        { "a.jpeg", "image/jpeg", false },
        { "a.gif", "image/gif", false },
        { "a.webp", "image/webp", false },
        { "a.woff", "font/woff", false },
        { "a.woff2", "font/woff2", false },
        { "a.gz", "application/octet-stream", false },
        { "README", "application/octet-stream", false },
        { "a.", "application/octet-stream", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool z = !cases[i].z;
        assert_string_equal(static_content_type(cases[i].name, &z), cases[i].type);
        assert_int_equal(z, cases[i].z);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safe_paths),
        cmocka_unit_test(test_unsafe_paths),
        cmocka_unit_test(test_path_bounds),
        cmocka_unit_test(test_hashed_assets),
        cmocka_unit_test(test_content_types),
    };
    return cmocka_run_group_tests_name("http/static", tests, NULL, NULL);
}
