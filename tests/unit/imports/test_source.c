/* test_source.c — unit tests for src/imports/source.c: §8.2 step 4's
 * host substring rules, in order, on the host only (no userinfo, port,
 * path or query). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "imports/source.h"

static void test_source_types(void **state)
{
    static const struct {
        const char *url, *want;
    } cases[] = {
        { "https://chatgpt.com/share/abc", "chatgpt" },
        { "https://chat.openai.com/c/1", "chatgpt" },
        { "https://www.notion.so/page", "notion" },
        { "https://team.notion.site/x", "notion" },
        { "https://docs.google.com/document/d/1", "google_docs" },
        { "https://github.com/owner/repo", "github" },
        { "https://gist.github.com/x", "github" },          /* substring, as written */
        { "https://GitHub.COM/Owner", "github" },           /* hosts are case-insensitive */
        { "https://github.com:8443/x", "github" },
        { "https://user:pw@github.com/x", "github" },
        { "https://github.com@evil.example/", "webpage" },  /* that is userinfo */
        { "https://example.com/github.com", "webpage" },    /* path is not host */
        { "https://example.com/?u=chatgpt.com", "webpage" },
        { "https://example.com#notion.so", "webpage" },
        { "https://notgithub.org/", "webpage" },
        { "https://github.community/", "github" },          /* "github.com" + "munity" */
        { "https://mygithub.com/", "github" },              /* substring, as written */
        { "https://[::1]:80/", "webpage" },
        { "github.com/no-scheme", "webpage" },
        { "", "webpage" },
        { NULL, "webpage" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_string_equal(imp_source_type(cases[i].url), cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_types),
    };
    return cmocka_run_group_tests_name("imports/source", tests, NULL, NULL);
}
