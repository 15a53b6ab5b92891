/* test_csv.c — unit tests for src/imports/csv.c. Every expected value was
 * produced by Python 3.11: '\n'.join(' | '.join(r) for r in
 * csv.reader(io.StringIO(s, newline=''))). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imports/csv.h"

#define LIT(s) s, sizeof s - 1

static void test_csv_python(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
        size_t wantlen;
    } cases[] = {
        { LIT("a,b,c"), LIT("a | b | c") },
        { LIT("a,b\r\nc,d\r\n"), LIT("a | b\nc | d") },
        { LIT("\"a,b\",c"), LIT("a,b | c") },
        { LIT("\"he said \"\"hi\"\"\",x"), LIT("he said \"hi\" | x") },
        { LIT("a,,b,"), LIT("a |  | b | ") },
        { LIT("\n\nx\n"), LIT("\n\nx") },
        { LIT("\"multi\nline\",z"), LIT("multi\nline | z") },
        { LIT("\"unterminated"), LIT("unterminated") },
        { LIT("ab\"c,d"), LIT("ab\"c | d") },
        { LIT("\"ab\"cd,e"), LIT("abcd | e") },
        { LIT("\"a\"\n"), LIT("a") },
        { LIT(","), LIT(" | ") },
        { LIT(""), LIT("") },
        { LIT(" a , b "), LIT(" a  |  b ") },
        { LIT("\"x\"y\"z\",w"), LIT("xy\"z\" | w") },
        { LIT("a\r\n\r\nb"), LIT("a\n\nb") },
        { LIT("a\rb"), LIT("a\nb") },                   /* lone CR ends a line */
        { LIT("\"q\r\nr\",s"), LIT("q\r\nr | s") },     /* kept inside quotes */
        { LIT("n\0ul,x"), LIT("n\0ul | x") },           /* NUL is data */
        { LIT("\"a\",\"\""), LIT("a | ") },
        { LIT("caf\xC3\xA9,\xE2\x82\xAC"), LIT("caf\xC3\xA9 | \xE2\x82\xAC") },
        { LIT("a,\r\nb,\rc,\n"), LIT("a | \nb | \nc | ") },   /* line ends after a comma */
        { LIT("a\r"), LIT("a") },                      /* a lone CR at the very end */
        { LIT("\"x\"\r"), LIT("x") },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = 99;
        char *out = imp_csv_text(cases[i].in, cases[i].len, &n);
        assert_non_null(out);
        if (n != cases[i].wantlen || memcmp(out, cases[i].want, n) != 0)
            fail_msg("case %zu: got [%s]", i, out);
        free(out);
    }
}

static void test_csv_no_outlen(void **state)
{
    char *out = imp_csv_text("a,b", 3, NULL);
    (void)state;
    assert_string_equal(out, "a | b");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_python),
        cmocka_unit_test(test_csv_no_outlen),
    };
    return cmocka_run_group_tests_name("imports/csv", tests, NULL, NULL);
}
