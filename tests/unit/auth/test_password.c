/* test_password.c — unit tests for src/auth/password.c at the smallest
 * Argon2id cost: right and wrong passwords, Unicode and binary passwords,
 * salted (distinct) hashes, hashes of other costs, garbage or overlong
 * hashes, and the dummy verification. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "auth/password.h"

#define OPS 1
#define MEM (8192 * 1024)

static void hash_ok(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
    memset(out, 'X', PASSWORD_HASH_MAX);
    assert_int_equal(password_hash(pw, len, out), 0);
    assert_true(memchr(out, '\0', PASSWORD_HASH_MAX) != NULL);
    assert_memory_equal(out, "$argon2id$", 10);
}

static void test_right_and_wrong(void **state)
{
    char h[PASSWORD_HASH_MAX];
    (void)state;
    hash_ok("correct horse battery staple", 28, h);
    assert_true(password_verify(h, "correct horse battery staple", 28));
    assert_false(password_verify(h, "correct horse battery stapl", 27));
    assert_false(password_verify(h, "correct horse battery staplf", 28));
    assert_false(password_verify(h, "Correct horse battery staple", 28));
    assert_false(password_verify(h, "correct horse battery staple ", 29));
    assert_false(password_verify(h, "", 0));
    /* The length is what counts, not a NUL. */
    assert_false(password_verify(h, "correct horse battery staple\0", 29));
}

/* The hash records its cost and salt: the same password gives a new hash
 * each time, each one verifying. */
static void test_salted(void **state)
{
    char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
    (void)state;
    hash_ok("password1", 9, a);
    hash_ok("password1", 9, b);
    assert_string_not_equal(a, b);
    assert_true(password_verify(a, "password1", 9));
    assert_true(password_verify(b, "password1", 9));
    assert_non_null(strstr(a, "$m=8192,t=1,"));
}

static void test_unicode(void **state)
{
    static const char *const pws[] = {
        "p\xc3\xa4ssw\xc3\xb6rd",                        /* pässwörd */
        "\xe5\xaf\x86\xe7\xa0\x81\xe3\x83\x91\xe3\x82\xb9", /* 密码パス */
        "\xf0\x9f\x94\x91\xf0\x9f\x98\x80 emoji",
        "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",  /* пароль */
    };
    char h[PASSWORD_HASH_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof pws / sizeof *pws; i++) {
        hash_ok(pws[i], strlen(pws[i]), h);
        assert_true(password_verify(h, pws[i], strlen(pws[i])));
        /* A different normalisation of the same text is another password. */
        assert_false(password_verify(h, pws[i], strlen(pws[i]) - 1));
    }
    /* é precomposed (U+00E9) vs decomposed (e + U+0301): bytes differ. */
    hash_ok("caf\xc3\xa9", 5, h);
    assert_false(password_verify(h, "cafe\xcc\x81", 6));
}

/* Embedded NULs and long passwords are hashed in full. */
static void test_binary_and_long(void **state)
{
    char h[PASSWORD_HASH_MAX];
    size_t n = 4096;
    char *pw = malloc(n);
    (void)state;
    assert_non_null(pw);
    hash_ok("a\0b", 3, h);
    assert_true(password_verify(h, "a\0b", 3));
    assert_false(password_verify(h, "a\0c", 3));
    assert_false(password_verify(h, "a", 1));
    memset(pw, 'x', n);
    hash_ok(pw, n, h);
    assert_true(password_verify(h, pw, n));
    pw[n - 1] = 'y';                              /* last byte matters */
    assert_false(password_verify(h, pw, n));
    hash_ok("", 0, h);                            /* empty password hashes */
    assert_true(password_verify(h, "", 0));
    assert_false(password_verify(h, "x", 1));
    free(pw);
}

/* A hash made at another cost still verifies after the cost changes. */
static void test_cost_change(void **state)
{
    char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    (void)state;
    password_set_cost(2, 2 * MEM);
    hash_ok("secret", 6, h);
    assert_non_null(strstr(h, "$m=16384,t=2,"));
    password_set_cost(OPS, MEM);
    hash_ok("secret", 6, h2);
    assert_true(password_verify(h, "secret", 6));
    assert_true(password_verify(h2, "secret", 6));
    assert_false(password_verify(h, "Secret", 6));
}

static void test_garbage_hashes(void **state)
{
    static const char *const bad[] = {
        "", "x", "$", "$argon2id$", "$argon2id$v=19$m=8192,t=1,p=1$",
        "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
        "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",
        "$2b$12$abcdefghijklmnopqrstuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu",   /* bcrypt */
        "pbkdf2_sha256$600000$salt$hash",                            /* Django */
        "\xff\xfe\xfd",
    };
    char h[PASSWORD_HASH_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (password_verify(bad[i], "password", 8))
            fail_msg("verified against \"%s\"", bad[i]);
    assert_false(password_verify(NULL, "password", 8));

    /* A real hash with its digest altered. */
    hash_ok("password", 8, h);
    size_t n = strlen(h);
    h[n - 2] = h[n - 2] == 'A' ? 'B' : 'A';
    assert_false(password_verify(h, "password", 8));
    /* Truncated. */
    hash_ok("password", 8, h);
    h[strlen(h) - 5] = '\0';
    assert_false(password_verify(h, "password", 8));
}

/* Hashes at or past the size of the output buffer are refused unread. */
static void test_overlong_hash(void **state)
{
    char h[PASSWORD_HASH_MAX];
    size_t n = 1 << 16;
    char *big = malloc(n + 1);
    (void)state;
    assert_non_null(big);
    hash_ok("password", 8, h);
    memset(big, 'A', n);
    big[n] = '\0';
    memcpy(big, h, strlen(h));                    /* valid prefix, long tail */
    assert_false(password_verify(big, "password", 8));
    big[PASSWORD_HASH_MAX] = '\0';
    assert_false(password_verify(big, "password", 8));
    big[PASSWORD_HASH_MAX - 1] = '\0';            /* 127 chars */
    assert_false(password_verify(big, "password", 8));
    free(big);
}

static void test_dummy(void **state)
{
    (void)state;
    password_verify_dummy("password", 8);
    password_verify_dummy("", 0);
    password_verify_dummy("\xf0\x9f\x94\x91", 4);
    password_verify_dummy("password", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_and_wrong),
        cmocka_unit_test(test_salted),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_binary_and_long),
        cmocka_unit_test(test_cost_change),
        cmocka_unit_test(test_garbage_hashes),
        cmocka_unit_test(test_overlong_hash),
        cmocka_unit_test(test_dummy),
    };
    if (sodium_init() < 0)
        return 1;
    password_set_cost(OPS, MEM);
    return cmocka_run_group_tests_name("auth/password", tests, NULL, NULL);
}
