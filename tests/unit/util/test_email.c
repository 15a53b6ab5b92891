/* test_email.c — unit tests for src/util/email.c against Django's
 * EmailValidator: every case below was checked with Django's own regexes
 * (user_regex, domain_regex, literal_regex + ipaddress) in Python 3.11.
 * The one deliberate difference, documented in email.h: non-ASCII input
 * is always refused (Django would punycode an IDN domain). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/email.h"

static void expect_email(const char *s, bool want)
{
    if (email_valid(s) != want)
        fail_msg("email_valid(\"%s\") != %s", s, want ? "true" : "false");
}

/* Django's character classes. */
static bool dj_atext(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("-!#$%&'*+/=?^_`{}|~", c));
}

/* [\001-\010\013\014\016-\037!#-\[\]-\177] */
static bool dj_qtext(int c)
{
    return (c >= 1 && c <= 8) || c == 11 || c == 12 || (c >= 14 && c <= 31) || c == '!' ||
           (c >= '#' && c <= '[') || (c >= ']' && c <= 127);
}

/* \\[\001-\011\013\014\016-\177] */
static bool dj_escapable(int c)
{
    return (c >= 1 && c <= 9) || c == 11 || c == 12 || (c >= 14 && c <= 127);
}

/* ---- tables ------------------------------------------------------------ */

static void test_valid(void **state)
{
    static const char *const ok[] = {
        "user@example.com",
        "email@here.com",
        "x@a.co",
        "USER@EXAMPLE.COM",
        "User.Name@Example.Com",
        "first.last@sub.domain.example.org",
        "weirder-email@here.and.there.com",
        "user+tag@example.com",
        "user+tag+more@example.com",
        "a.b.c.d@e.f.gh",
        "!#$%&'*+/=?^_`{|}~-@example.com",
        "a!b#c$d%e&f'g*h+i/j=k?l^m_n`o{p|q}r~s-t@example.com",
        "{}@example.com",
        "-@example.com",
        "a-.b-@example.com",
        "123@456.789.com",
        "a@1.23",
        "user@localhost",
        "user@[127.0.0.1]",
        "user@[::1]",
        "email@[2001:dB8::1]",
        "email@[2001:dB8:0:0:0:0:0:1]",
        "email@[::fffF:127.0.0.1]",
        "user@[255.255.255.255]",
        "example@valid-----hyphens.com",
        "example@valid-with-hyphens.com",
        "example@x.-com",
        "a@b.c-d",
        "a@b.2c",
        "a@b.cc",
        "\"test@test\"@example.com",
        "\"a\"@x.com",
        "\"\"@x.com",
        "\"a.b..c.\"@x.com",
        "\".a\"@x.com",
        "\"a\\ b\"@x.com",
        "\"a\\\"b\"@x.com",
        "\"a\\\\b\"@x.com",
        "\"\\\011\"@here.com",
        "\"\001\010\013\014\016\037\"@x.com",
        "\"\177\"@x.com",
        "\"!#[]~\"@x.com",
        "\"a@b\"@x.com",
        "\"(comment)<>,;:\"@x.com",
        "a@b.cd",
    };
    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        expect_email(ok[i], true);
}

static void test_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "abc",
        "abc@",
        "@example.com",
        "@",
        "user@",
        "user.example.com",
        "abc@bar",
        "user@com",
        "a @x.cz",
        "a@x .cz",
        " a@x.cz",
        "a@x.cz ",
        "user name@example.com",
        "user@exa mple.com",
        "abc@.com",
        "something@@somewhere.com",
        ".user@example.com",
        "user.@example.com",
        "us..er@example.com",
        "user@example..com",
        "user@.example.com",
        "user@example.com.",
        "trailingdot@shouldfail.com.",
        "email@127.0.0.1",
        "email@[127.0.0.256]",
        "email@[127.0.0.01]",
        "email@[1.2.3]",
        "email@[1.2.3.4.5]",
        "email@[2001:db8::12345]",
        "email@[2001:db8:0:0:0:0:1]",
        "email@[::ffff:127.0.0.256]",
        "email@[2001:dg8::1]",
        "email@[2001:dG8:0:0:0:0:0:1]",
        "email@[::fTzF:127.0.0.1]",
        "email@[IPv6:::1]",
        "email@[]",
        "email@[::1",
        "email@::1]",
        "email@[ ::1]",
        "email@[::1]x",
        "example@invalid-.com",
        "example@-invalid.com",
        "example@invalid.com-",
        "example@inv-.alid-.com",
        "example@inv-.-alid.com",
        "a@x.c",
        "a@x.y.z",
        "x@a.c",
        "a@b_c.com",
        "a@b.c_m",
        "a(b)@x.com",
        "a<b>@x.com",
        "a,b@x.com",
        "a;b@x.com",
        "a:b@x.com",
        "a[b]@x.com",
        "a\\b@x.com",
        "a\"b@x.com",
        "a\001@x.com",
        "\"a b\"@x.com",
        "\"a\011b\"@x.com",
        "\"a\012b\"@x.com",
        "\"a\015b\"@x.com",
        "\"a\"b\"@x.com",
        "\"a\\\"@x.com",
        "\"a\\\012\"@x.com",
        "\"a\\\015\"@x.com",
        "\"\\\012\"@here.com",
        "\"a\"@x.com\"",
        "\"a@x.com",
        "a\"@x.com",
        "\"a\".\"b\"@x.com",
        "x\"a\"@x.com",
        "test@example.com\012\012test@example.com",
        "a@b.com\012",
        "a\012@b.com",
        "\"test@test\"\012@example.com",
        "a@[127.0.0.1]\012",
        "user@localhost.",
        "user@LOCALHOST",
        "user@localhostx",
        "user@xlocalhost",
        "\303\251@example.com",
        "user@b\303\274cher",
        "us\303\251r@example.com",
        "\"\303\251\"@x.com",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_email(bad[i], false);
}

/* Non-ASCII is refused everywhere, IDN domains included (email.h: ASCII
 * forms only; Django would accept user@example.cöm via punycode). */
static void test_non_ascii(void **state)
{
    (void)state;
    expect_email("user@example.c\303\266m", false);
    expect_email("user@b\303\274cher.de", false);
    expect_email("\346\227\245\346\234\254@example.com", false);
    expect_email("user@example.com\302\240", false);   /* trailing NBSP */
    expect_email("\"\342\200\213\"@example.com", false);  /* ZWSP quoted */
    expect_email("\"a\\\303\251\"@example.com", false);   /* escaped non-ASCII */
}

/* ---- character classes, byte by byte ----------------------------------- */

/* An unquoted local part of one byte: valid iff Django's atext. */
static void test_atext_every_byte(void **state)
{
    char s[16];
    (void)state;
    for (int c = 1; c < 256; c++) {
        snprintf(s, sizeof s, "%cz@x.com", c);
        expect_email(s, dj_atext(c) && c != '@');
        snprintf(s, sizeof s, "a%c@x.com", c);
        expect_email(s, dj_atext(c));
    }
}

/* Inside quotes: valid iff qtext; after a backslash: iff escapable. */
static void test_quoted_every_byte(void **state)
{
    char s[16];
    (void)state;
    for (int c = 1; c < 256; c++) {
        snprintf(s, sizeof s, "\"a%c\"@x.com", c);   /* '\\' escapes the quote */
        expect_email(s, dj_qtext(c));
        snprintf(s, sizeof s, "\"a\\%cb\"@x.com", c);
        expect_email(s, dj_escapable(c));
        snprintf(s, sizeof s, "\"\\%c\"@x.com", c);
        expect_email(s, dj_escapable(c));
    }
}

/* A domain byte: valid iff [A-Za-z0-9] anywhere, or '-' inside a label. */
static void test_domain_every_byte(void **state)
{
    char s[32];
    (void)state;
    for (int c = 1; c < 256; c++) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        snprintf(s, sizeof s, "a@x%cy.com", c);
        expect_email(s, alnum || c == '-' || c == '.');
        snprintf(s, sizeof s, "a@xy.c%cm", c);
        expect_email(s, alnum || c == '-');
        snprintf(s, sizeof s, "a@%c.com", c);           /* one-byte label */
        expect_email(s, alnum);
    }
}

/* ---- lengths ----------------------------------------------------------- */

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_label_lengths(void **state)
{
    char *l63 = repeat('a', 63), *l64 = repeat('a', 64), *b10 = repeat('b', 10);
    char s[400];
    (void)state;
    snprintf(s, sizeof s, "example@atm.%s", l63);          /* last label 63 */
    expect_email(s, true);
    snprintf(s, sizeof s, "example@atm.%s", l64);          /* last label 64 */
    expect_email(s, false);
    snprintf(s, sizeof s, "example@%s.atm", l63);          /* inner label 63 */
    expect_email(s, true);
    snprintf(s, sizeof s, "example@%s.atm", l64);
    expect_email(s, false);
    snprintf(s, sizeof s, "example@%s.%s.atm", l63, b10);
    expect_email(s, true);
    snprintf(s, sizeof s, "example@%s.%s.atm", l64, b10);
    expect_email(s, false);
    snprintf(s, sizeof s, "example@%s.atm.%s", b10, l64);
    expect_email(s, false);
    l63[0] = '-';
    snprintf(s, sizeof s, "example@%s.atm", l63);          /* inner starts with - */
    expect_email(s, false);
    snprintf(s, sizeof s, "example@atm.%s", l63);          /* last may start with - */
    expect_email(s, true);
    free(l63);
    free(l64);
    free(b10);
}

/* Django's only overall limit: 320 characters (no 64-byte local cap). */
static void test_total_length(void **state)
{
    char *local;
    char s[400], dom[300];
    (void)state;
    local = repeat('a', 308);
    snprintf(s, sizeof s, "%s@example.com", local);         /* 320 */
    assert_int_equal(strlen(s), 320);
    expect_email(s, true);
    free(local);
    local = repeat('a', 309);
    snprintf(s, sizeof s, "%s@example.com", local);         /* 321 */
    expect_email(s, false);
    free(local);

    /* A long domain of valid labels, local part padded to 320 / 321. */
    local = repeat('b', 63);
    snprintf(dom, sizeof dom, "%s.%s.%s.%s.com", local, local, local, local);
    free(local);
    local = repeat('u', 320 - 1 - strlen(dom));
    snprintf(s, sizeof s, "%s@%s", local, dom);
    assert_int_equal(strlen(s), 320);
    expect_email(s, true);
    snprintf(s, sizeof s, "u%s@%s", local, dom);
    expect_email(s, false);
    free(local);
}

static void test_very_long(void **state)
{
    size_t n = 1 << 20;
    char *s = repeat('a', n);
    (void)state;
    expect_email(s, false);
    s[n / 2] = '@';
    expect_email(s, false);
    memcpy(s + n - 4, ".com", 4);
    expect_email(s, false);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_non_ascii),
        cmocka_unit_test(test_atext_every_byte),
        cmocka_unit_test(test_quoted_every_byte),
        cmocka_unit_test(test_domain_every_byte),
        cmocka_unit_test(test_label_lengths),
        cmocka_unit_test(test_total_length),
        cmocka_unit_test(test_very_long),
    };
    return cmocka_run_group_tests_name("util/email", tests, NULL, NULL);
}
