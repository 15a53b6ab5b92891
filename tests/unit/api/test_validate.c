/* test_validate.c — unit tests for src/api/validate.c: DRF CharField,
 * BooleanField and IntegerField semantics with DRF's exact messages,
 * Python-style number-to-string conversion, trimming, code point lengths,
 * truthiness, and val_body (empty bodies, non-objects, bad UTF-8, depth).
 * Expected values come from DRF 3.15 / Python 3.11 behaviour. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "api/validate.h"
#include "config.h"


#define REQUIRED "This field is required."
#define BLANK "This field may not be blank."
#define NOT_NULL "This field may not be null."
#define NOT_STRING "Not a valid string."
#define BAD_EMAIL "Enter a valid email address."
#define BAD_BOOL "Must be a valid boolean."
#define BAD_INT "A valid integer is required."

/* Builds an object {"f": v} (steals v). */
static json_t *body1(json_t *v)
{
    json_t *b = json_object();
    assert_non_null(b);
    assert_non_null(v);
    assert_int_equal(json_object_set_new(b, "f", v), 0);
    return b;
}

/* errs holds exactly {field: [msgs…]} (a NULL-terminated list). */
static void expect_errors(json_t *errs, const char *field, ...)
{
    json_t *list = json_object_get(errs, field);
    va_list ap;
    size_t i = 0;
    const char *msg;
    if (!json_is_array(list)) {
        char *dump = json_dumps(errs, JSON_COMPACT);
        fail_msg("no error list for \"%s\" in %s", field, dump);
    }
    va_start(ap, field);
    while ((msg = va_arg(ap, const char *)) != NULL) {
        json_t *m = json_array_get(list, i++);
        if (!json_is_string(m) || strcmp(json_string_value(m), msg) != 0) {
            char *dump = json_dumps(errs, JSON_COMPACT);
            va_end(ap);
            fail_msg("error %zu for \"%s\": want \"%s\" in %s", i - 1, field, msg, dump);
        }
    }
    va_end(ap);
    assert_int_equal(json_array_size(list), i);
}

/* val_str on {"f": v}: expects rc 1 and *out == want. */
static void str_ok(json_t *v, unsigned flags, size_t min, size_t max, const char *want)
{
    json_t *b = body1(v), *errs = json_object();
    char *out = NULL;
    int rc = val_str(b, "f", flags, min, max, errs, &out);
    if (rc != 1) {
        char *dump = json_dumps(errs, JSON_COMPACT);
        fail_msg("val_str rc %d, errors %s (want \"%s\")", rc, dump, want);
    }
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fail_msg("val_str gave \"%s\", want \"%s\"", out, want);
    assert_int_equal(json_object_size(errs), 0);
    free(out);
    json_decref(errs);
    json_decref(b);
}

/* val_str on {"f": v}: expects rc -1, *out NULL and exactly msg1[, msg2]. */
static void str_err(json_t *v, unsigned flags, size_t min, size_t max, const char *msg1,
                    const char *msg2)
{
    json_t *b = body1(v), *errs = json_object();
    char *out = (char *)"sentinel";
    assert_int_equal(val_str(b, "f", flags, min, max, errs, &out), -1);
    assert_null(out);
    assert_int_equal(json_object_size(errs), 1);
    expect_errors(errs, "f", msg1, msg2, NULL);
    json_decref(errs);
    json_decref(b);
}

static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

/* ---- val_str ----------------------------------------------------------- */

static void test_str_missing(void **state)
{
    json_t *b = json_object(), *errs = json_object();
    char *out = (char *)"sentinel";
    (void)state;
    assert_int_equal(val_str(b, "f", 0, 0, 0, errs, &out), 0);
    assert_null(out);
    assert_int_equal(json_object_size(errs), 0);
    assert_int_equal(val_str(b, "f", V_REQUIRED, 0, 0, errs, &out), -1);
    assert_null(out);
    expect_errors(errs, "f", REQUIRED, NULL);
    json_decref(errs);
    json_decref(b);
}

static void test_str_null(void **state)
{
    json_t *b = body1(json_null()), *errs = json_object();
    char *out = (char *)"sentinel";
    (void)state;
    str_err(json_null(), 0, 0, 0, NOT_NULL, NULL);
    str_err(json_null(), V_REQUIRED, 0, 0, NOT_NULL, NULL);
    assert_int_equal(val_str(b, "f", V_NULL_OK, 0, 0, errs, &out), 0);
    assert_null(out);
    assert_int_equal(val_str(b, "f", V_NULL_OK | V_REQUIRED, 0, 0, errs, &out), 0);
    assert_int_equal(json_object_size(errs), 0);
    json_decref(errs);
    json_decref(b);
}

static void test_str_blank(void **state)
{
    (void)state;
    str_err(json_string(""), 0, 0, 0, BLANK, NULL);
    str_err(json_string("   "), V_REQUIRED, 0, 0, BLANK, NULL);
    str_err(json_string("\t\r\n"), 0, 0, 100, BLANK, NULL);
    str_err(json_string("\xe3\x80\x80\xc2\xa0"), 0, 0, 0, BLANK, NULL);  /* U+3000 NBSP */
    str_err(json_string(""), V_EMAIL, 0, 0, BLANK, NULL);
    str_err(json_string(""), 0, 3, 0, BLANK, NULL);  /* blank, not "at least" */
    str_ok(json_string(""), V_BLANK_OK, 0, 0, "");
    str_ok(json_string("   "), V_BLANK_OK, 0, 10, "");
    str_ok(json_string(" "), V_BLANK_OK | V_EMAIL, 0, 0, "");  /* blank skips email */
    /* Zero-width space is not whitespace: not blank. */
    str_ok(json_string("\xe2\x80\x8b"), 0, 0, 0, "\xe2\x80\x8b");
}

static void test_str_trim(void **state)
{
    (void)state;
    str_ok(json_string("abc"), 0, 0, 0, "abc");
    str_ok(json_string("  abc  "), 0, 0, 0, "abc");
    str_ok(json_string("\n\ta b\r\n"), 0, 0, 0, "a b");
    str_ok(json_string("\xc2\xa0x\xe2\x80\xa8"), 0, 0, 0, "x");
    str_ok(json_string("\xe3\x80\x80\xe6\x97\xa5\xe3\x80\x80"), 0, 0, 0, "\xe6\x97\xa5");
    str_ok(json_string("  abc  "), V_NO_TRIM, 0, 0, "  abc  ");
    str_ok(json_string("   "), V_NO_TRIM, 0, 0, "   ");   /* untrimmed: not blank */
    str_ok(json_string("  ab  "), 0, 0, 2, "ab");         /* length after trimming */
    str_err(json_string(" ab "), V_NO_TRIM, 0, 2,
            "Ensure this field has no more than 2 characters.", NULL);
}

static void test_str_types(void **state)
{
    (void)state;
    str_err(json_true(), 0, 0, 0, NOT_STRING, NULL);
    str_err(json_false(), 0, 0, 0, NOT_STRING, NULL);
    str_err(json_array(), 0, 0, 0, NOT_STRING, NULL);
    str_err(json_object(), 0, 0, 0, NOT_STRING, NULL);
    str_err(json_pack("[s]", "a"), V_REQUIRED, 0, 0, NOT_STRING, NULL);
    str_err(json_pack("{s:s}", "a", "b"), 0, 0, 0, NOT_STRING, NULL);
}

/* Numbers become strings as Python's str() writes them. */
static void test_str_numbers(void **state)
{
    static const struct { double d; const char *s; } reals[] = {
        { 1.5, "1.5" }, { 2.0, "2.0" }, { 0.1, "0.1" }, { 0.0, "0.0" }, { -0.0, "-0.0" },
        { -2.5, "-2.5" }, { 1e16, "1e+16" }, { 1e22, "1e+22" }, { 1e-5, "1e-05" },
        { 1.5e-7, "1.5e-07" }, { 0.0001, "0.0001" }, { 123456789.0, "123456789.0" },
        { 0.30000000000000004, "0.30000000000000004" }, { 1.0 / 3, "0.3333333333333333" },
        { 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
        { 12345678901234567890.0, "1.2345678901234567e+19" }, { 20.5, "20.5" },
        { 1234.0, "1234.0" }, { 7.0, "7.0" },
    };
    (void)state;
    str_ok(json_integer(1), 0, 0, 0, "1");
    str_ok(json_integer(0), 0, 0, 0, "0");
    str_ok(json_integer(-7), 0, 0, 0, "-7");
    str_ok(json_integer(INT64_MAX), 0, 0, 0, "9223372036854775807");
    str_ok(json_integer(INT64_MIN), 0, 0, 0, "-9223372036854775808");
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
        str_ok(json_real(reals[i].d), 0, 0, 0, reals[i].s);
    /* Length rules apply to the string form. */
    str_err(json_integer(12345), 0, 0, 4, "Ensure this field has no more than 4 characters.",
            NULL);
    str_err(json_integer(7), 0, 2, 0, "Ensure this field has at least 2 characters.", NULL);
    str_err(json_integer(7), V_EMAIL, 0, 0, BAD_EMAIL, NULL);
}

static void test_str_lengths(void **state)
{
    char *s;
    (void)state;
    str_ok(json_string("abc"), 0, 3, 3, "abc");
    str_err(json_string("abcd"), 0, 0, 3, "Ensure this field has no more than 3 characters.", NULL);
    str_err(json_string("ab"), 0, 3, 0, "Ensure this field has at least 3 characters.", NULL);
    str_err(json_string("a"), V_REQUIRED, 8, 128, "Ensure this field has at least 8 characters.",
            NULL);

    /* Lengths count code points, not bytes. */
    s = repeat("\xc3\xa9", 255);                     /* 255 × é = 510 bytes */
    str_ok(json_string(s), 0, 0, 255, s);
    free(s);
    s = repeat("\xc3\xa9", 256);
    str_err(json_string(s), 0, 0, 255, "Ensure this field has no more than 255 characters.", NULL);
    free(s);
    s = repeat("\xf0\x9f\x98\x80", 8);               /* 8 emoji = 32 bytes */
    str_ok(json_string(s), 0, 8, 8, s);
    str_err(json_string(s), 0, 9, 0, "Ensure this field has at least 9 characters.", NULL);
    free(s);
    s = repeat("\xe6\x97\xa5", 3);
    str_err(json_string(s), 0, 0, 2, "Ensure this field has no more than 2 characters.", NULL);
    free(s);
    /* max 0 is unlimited. */
    s = repeat("x", 100000);
    str_ok(json_string(s), 0, 0, 0, s);
    free(s);
}

static void test_str_email(void **state)
{
    char *s;
    (void)state;
    str_ok(json_string("user@example.com"), V_EMAIL, 0, 0, "user@example.com");
    str_ok(json_string("  User@Example.COM \n"), V_EMAIL | V_REQUIRED, 0, 254,
           "User@Example.COM");
    str_err(json_string("not-an-email"), V_EMAIL, 0, 0, BAD_EMAIL, NULL);
    str_err(json_string("a@b"), V_EMAIL, 0, 0, BAD_EMAIL, NULL);
    str_err(json_string("a b@x.com"), V_EMAIL, 0, 0, BAD_EMAIL, NULL);
    /* DRF runs every validator: max length first, then the email check. */
    str_err(json_string("not an email"), V_EMAIL, 0, 5,
            "Ensure this field has no more than 5 characters.", BAD_EMAIL);
    s = repeat("a", 250);
    char email[300];
    snprintf(email, sizeof email, "%s@x.com", s);
    str_err(json_string(email), V_EMAIL, 0, 254,
            "Ensure this field has no more than 254 characters.", NULL);
    free(s);
}

/* Errors accumulate per field and across fields. */
static void test_errors_accumulate(void **state)
{
    json_t *b = json_pack("{s:s, s:b, s:n}", "name", "", "email", 1, "x", NULL);
    json_t *errs = json_object();
    char *out;
    (void)state;
    assert_int_equal(val_str(b, "name", V_REQUIRED, 0, 0, errs, &out), -1);
    assert_int_equal(val_str(b, "email", V_EMAIL, 0, 0, errs, &out), -1);
    assert_int_equal(val_str(b, "password", V_REQUIRED, 0, 0, errs, &out), -1);
    assert_int_equal(val_str(b, "x", 0, 0, 0, errs, &out), -1);
    val_error(errs, "name", "Another.");
    val_error(errs, "non_field_errors", "Bad.");
    assert_int_equal(json_object_size(errs), 5);
    expect_errors(errs, "name", BLANK, "Another.", NULL);
    expect_errors(errs, "email", NOT_STRING, NULL);
    expect_errors(errs, "password", REQUIRED, NULL);
    expect_errors(errs, "x", NOT_NULL, NULL);
    expect_errors(errs, "non_field_errors", "Bad.", NULL);
    /* A field that already has errors still reads a later valid value. */
    json_object_set_new(b, "name", json_string("ok"));
    assert_int_equal(val_str(b, "name", V_REQUIRED, 0, 0, errs, &out), 1);
    assert_string_equal(out, "ok");
    free(out);
    expect_errors(errs, "name", BLANK, "Another.", NULL);
    json_decref(errs);
    json_decref(b);
}

/* ---- val_bool ---------------------------------------------------------- */

static void bool_ok(json_t *v, bool want)
{
    json_t *b = body1(v), *errs = json_object();
    bool out = !want;
    if (val_bool(b, "f", true, errs, &out) != 1) {
        char *dump = json_dumps(b, JSON_COMPACT);
        fail_msg("val_bool refused %s", dump);
    }
    assert_int_equal(out, want);
    assert_int_equal(json_object_size(errs), 0);
    json_decref(errs);
    json_decref(b);
}

static void bool_err(json_t *v, const char *msg)
{
    json_t *b = body1(v), *errs = json_object();
    bool out = false;
    if (val_bool(b, "f", false, errs, &out) != -1) {
        char *dump = json_dumps(b, JSON_COMPACT);
        fail_msg("val_bool accepted %s", dump);
    }
    expect_errors(errs, "f", msg, NULL);
    json_decref(errs);
    json_decref(b);
}

static void test_bool_true(void **state)
{
    static const char *const yes[] = { "true", "True", "TRUE", "1", "yes", "Yes", "YES",
                                       "on", "On", "ON", "t", "T", "y", "Y" };
    (void)state;
    bool_ok(json_true(), true);
    bool_ok(json_integer(1), true);
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        bool_ok(json_string(yes[i]), true);
}

static void test_bool_false(void **state)
{
    static const char *const no[] = { "false", "False", "FALSE", "0", "no", "No", "NO",
                                      "off", "Off", "OFF", "f", "F", "n", "N" };
    (void)state;
    bool_ok(json_false(), false);
    bool_ok(json_integer(0), false);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        bool_ok(json_string(no[i]), false);
}

static void test_bool_invalid(void **state)
{
    static const char *const bad[] = { "tRUE", "TrUe", "tRue", "yES", "oN", "oFF", "fALSE",
                                       "", " true", "true ", "2", "-1", "01", "yess", "nope",
                                       "null", "None", "truefalse", "\xc3\xbf" };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        bool_err(json_string(bad[i]), BAD_BOOL);
    bool_err(json_integer(2), BAD_BOOL);
    bool_err(json_integer(-1), BAD_BOOL);
    bool_err(json_real(0.5), BAD_BOOL);
    bool_err(json_array(), BAD_BOOL);
    bool_err(json_object(), BAD_BOOL);
    bool_err(json_null(), NOT_NULL);
}

static void test_bool_missing(void **state)
{
    json_t *b = json_object(), *errs = json_object();
    bool out = true;
    (void)state;
    assert_int_equal(val_bool(b, "f", false, errs, &out), 0);
    assert_true(out);                             /* untouched */
    assert_int_equal(json_object_size(errs), 0);
    assert_int_equal(val_bool(b, "f", true, errs, &out), -1);
    expect_errors(errs, "f", REQUIRED, NULL);
    json_decref(errs);
    json_decref(b);
}

/* ---- val_int ----------------------------------------------------------- */

static void int_ok(json_t *v, long long lo, long long hi, long long want)
{
    json_t *b = body1(v), *errs = json_object();
    long long out = ~want;                        /* anything but want */
    if (val_int(b, "f", true, lo, hi, errs, &out) != 1) {
        char *dump = json_dumps(errs, JSON_COMPACT);
        fail_msg("val_int refused: %s", dump);
    }
    assert_int_equal(out, want);
    assert_int_equal(json_object_size(errs), 0);
    json_decref(errs);
    json_decref(b);
}

static void int_err(json_t *v, long long lo, long long hi, const char *msg)
{
    json_t *b = body1(v), *errs = json_object();
    long long out = 0;
    if (val_int(b, "f", false, lo, hi, errs, &out) != -1) {
        char *dump = json_dumps(b, JSON_COMPACT);
        fail_msg("val_int accepted %s as %lld", dump, out);
    }
    expect_errors(errs, "f", msg, NULL);
    json_decref(errs);
    json_decref(b);
}

static void test_int_valid(void **state)
{
    (void)state;
    int_ok(json_integer(5), 1, 100, 5);
    int_ok(json_integer(1), 1, 100, 1);
    int_ok(json_integer(100), 1, 100, 100);
    int_ok(json_integer(-5), -10, 10, -5);
    int_ok(json_real(2.0), 1, 100, 2);            /* 2.0 is an integer to DRF */
    int_ok(json_real(1000.0), 0, 100000, 1000);
    int_ok(json_real(-0.0), -1, 1, 0);
    int_ok(json_string("12"), 1, 100, 12);
    int_ok(json_string("-3"), -10, 10, -3);
    int_ok(json_string("+7"), 1, 100, 7);
    int_ok(json_string("007"), 1, 100, 7);
    int_ok(json_integer(INT64_MAX), 0, INT64_MAX, INT64_MAX);
}

static void test_int_invalid(void **state)
{
    static const char *const bad[] = { "", "abc", "1.5", "12abc", "0x10", "1e3", "--1",
                                       "one", "1,000" };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        int_err(json_string(bad[i]), 1, 100, BAD_INT);
    int_err(json_real(1.5), 1, 100, BAD_INT);
    int_err(json_real(-0.25), -10, 10, BAD_INT);
    int_err(json_real(1e20), 0, 100, BAD_INT);    /* str(1e20) is "1e+20" */
    int_err(json_true(), 0, 100, BAD_INT);
    int_err(json_false(), 0, 100, BAD_INT);
    int_err(json_array(), 0, 100, BAD_INT);
    int_err(json_object(), 0, 100, BAD_INT);
    int_err(json_null(), 0, 100, NOT_NULL);
}

static void test_int_range(void **state)
{
    (void)state;
    int_err(json_integer(0), 1, 100, "Ensure this value is greater than or equal to 1.");
    int_err(json_integer(101), 1, 100, "Ensure this value is less than or equal to 100.");
    int_err(json_integer(-11), -10, 10, "Ensure this value is greater than or equal to -10.");
    int_err(json_integer(INT64_MAX), 1, 100, "Ensure this value is less than or equal to 100.");
    int_err(json_integer(INT64_MIN), 1, 100, "Ensure this value is greater than or equal to 1.");
    int_err(json_string("0"), 1, 100, "Ensure this value is greater than or equal to 1.");
    int_err(json_string("99999999999999999999"), 1, 100,
            "Ensure this value is less than or equal to 100.");
    int_err(json_real(500.0), 1, 100, "Ensure this value is less than or equal to 100.");
}

static void test_int_missing(void **state)
{
    json_t *b = json_object(), *errs = json_object();
    long long out = 42;
    (void)state;
    assert_int_equal(val_int(b, "f", false, 1, 100, errs, &out), 0);
    assert_int_equal(out, 42);
    assert_int_equal(json_object_size(errs), 0);
    assert_int_equal(val_int(b, "f", true, 1, 100, errs, &out), -1);
    expect_errors(errs, "f", REQUIRED, NULL);
    json_decref(errs);
    json_decref(b);
}

/* ---- val_truthy -------------------------------------------------------- */

static void truthy(json_t *v, bool want)
{
    if (val_truthy(v) != want) {
        char *dump = json_dumps(v, JSON_ENCODE_ANY);
        fail_msg("val_truthy(%s) != %d", dump, want);
    }
    json_decref(v);
}

static void test_truthy(void **state)
{
    (void)state;
    assert_false(val_truthy(NULL));
    truthy(json_null(), false);
    truthy(json_false(), false);
    truthy(json_string(""), false);
    truthy(json_integer(0), false);
    truthy(json_real(0.0), false);
    truthy(json_real(-0.0), false);
    truthy(json_array(), false);
    truthy(json_object(), false);
    truthy(json_true(), true);
    truthy(json_string(" "), true);
    truthy(json_string("0"), true);
    truthy(json_string("false"), true);
    truthy(json_integer(1), true);
    truthy(json_integer(-1), true);
    truthy(json_real(0.5), true);
    truthy(json_pack("[i]", 0), true);
    truthy(json_pack("{s:n}", "a"), true);
}

/* ---- val_body ---------------------------------------------------------- */

static void req_body(http_req *r, const char *s, size_t len)
{
    memset(r, 0, sizeof *r);
    r->method = "POST";
    r->body = (buf)BUF_INIT(0);
    if (s)
        assert_int_equal(buf_append(&r->body, s, len), 0);
}

static void req_done(http_req *r)
{
    json_decref(r->data);
    json_decref(r->error);
    json_decref(r->fail_data);
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

/* val_body accepts s and returns an object equal to want (JSON text; NULL:
 * any object). */
static void body_ok(const char *s, size_t len, const char *want)
{
    http_req r;
    json_t *v, *w;
    req_body(&r, s, len);
    v = val_body(&r);
    if (!v) {
        char *dump = json_dumps(r.error, JSON_ENCODE_ANY);
        fail_msg("val_body refused \"%.*s\": %s", (int)(len > 80 ? 80 : len), s, dump);
    }
    assert_true(json_is_object(v));
    if (want) {
        w = json_loads(want, 0, NULL);
        assert_non_null(w);
        assert_true(json_equal(v, w));
        json_decref(w);
    }
    assert_int_equal(r.status, 0);
    assert_null(r.error);
    json_decref(v);
    req_done(&r);
}

/* val_body refuses s with 400 and a "JSON parse error - …" string. */
static void body_parse_error(const char *s, size_t len)
{
    http_req r;
    req_body(&r, s, len);
    if (val_body(&r) != NULL)
        fail_msg("val_body accepted \"%.*s\"", (int)(len > 80 ? 80 : len), s);
    assert_int_equal(r.status, 400);
    assert_true(json_is_string(r.error));
    if (strncmp(json_string_value(r.error), "JSON parse error - ", 19) != 0)
        fail_msg("error \"%s\"", json_string_value(r.error));
    req_done(&r);
}

#define BODY_OK(lit, want) body_ok(lit, sizeof lit - 1, want)
#define BODY_PARSE_ERROR(lit) body_parse_error(lit, sizeof lit - 1)

static void test_body_empty(void **state)
{
    http_req r;
    json_t *v;
    (void)state;
    req_body(&r, NULL, 0);                        /* no body at all: p == NULL */
    v = val_body(&r);
    assert_non_null(v);
    assert_true(json_is_object(v));
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
    req_done(&r);
    BODY_OK("", "{}");
    BODY_OK(" ", "{}");
    BODY_OK(" \t\r\n ", "{}");
}

static void test_body_objects(void **state)
{
    (void)state;
    BODY_OK("{}", "{}");
    BODY_OK("{\"a\":1}", "{\"a\":1}");
    BODY_OK("  {\"a\" : [1, 2, {\"b\": null}]}\n", "{\"a\":[1,2,{\"b\":null}]}");
    BODY_OK("{\"name\":\"\\u00e9t\\u00e9\"}", "{\"name\":\"\xc3\xa9t\xc3\xa9\"}");
    BODY_OK("{\"name\":\"\xc3\xa9t\xc3\xa9\"}", "{\"name\":\"\xc3\xa9t\xc3\xa9\"}");
    BODY_OK("{\"a\":1,\"a\":2}", "{\"a\":2}");    /* last duplicate wins, as in Python */
}

/* A JSON value that is not an object: DRF's non_field_errors message with
 * Python's type name. */
static void test_body_not_object(void **state)
{
    static const struct { const char *body, *type; } cases[] = {
        { "[]", "list" }, { "[1,2]", "list" }, { "1", "int" }, { "-5", "int" },
        { "1.5", "float" }, { "\"s\"", "str" }, { "true", "bool" }, { "false", "bool" },
        { "null", "NoneType" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        http_req r;
        char want[96];
        req_body(&r, cases[i].body, strlen(cases[i].body));
        assert_null(val_body(&r));
        assert_int_equal(r.status, 400);
        assert_true(json_is_object(r.error));
        assert_int_equal(json_object_size(r.error), 1);
        snprintf(want, sizeof want, "Invalid data. Expected a dictionary, but got %s.",
                 cases[i].type);
        expect_errors(r.error, "non_field_errors", want, NULL);
        req_done(&r);
    }
}

static void test_body_parse_errors(void **state)
{
    (void)state;
    BODY_PARSE_ERROR("{");
    BODY_PARSE_ERROR("}");
    BODY_PARSE_ERROR("{\"a\":}");
    BODY_PARSE_ERROR("{'a':1}");
    BODY_PARSE_ERROR("{\"a\":1,}");
    BODY_PARSE_ERROR("{\"a\":1}x");
    BODY_PARSE_ERROR("{\"a\":1}{\"b\":2}");
    BODY_PARSE_ERROR("nope");
    BODY_PARSE_ERROR("{\"a\":\"unterminated}");
    BODY_PARSE_ERROR("\x01");
}

static void test_body_bad_utf8(void **state)
{
    (void)state;
    BODY_PARSE_ERROR("{\"a\":\"\xff\"}");
    BODY_PARSE_ERROR("{\"a\":\"\xc3\"}");
    BODY_PARSE_ERROR("{\"a\":\"\xed\xa0\x80\"}");   /* surrogate */
    BODY_PARSE_ERROR("{\"a\":\"\xc0\xaf\"}");       /* overlong */
    BODY_PARSE_ERROR("\xff");
    BODY_PARSE_ERROR(" \xa0 ");                     /* Latin-1 NBSP only */
    BODY_PARSE_ERROR("{}\xff");
}

/* Bodies nest at most cfg.max_json_depth deep; brackets in strings do not
 * count. */
static void test_body_depth(void **state)
{
    char s[512];
    size_t n = 0;
    (void)state;
    assert_int_equal(cfg.max_json_depth, 32);

    for (int i = 0; i < 40; i++)                  /* 40 × "[" */
        s[n++] = '[';
    for (int i = 0; i < 40; i++)
        s[n++] = ']';
    body_parse_error(s, n);

    n = 0;                                        /* {"a":{"a":…{}…}}, 32 deep */
    for (int i = 0; i < 31; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "{\"a\":");
    n += (size_t)snprintf(s + n, sizeof s - n, "{}");
    for (int i = 0; i < 31; i++)
        s[n++] = '}';
    s[n] = '\0';
    http_req r;
    json_t *v;
    req_body(&r, s, n);
    v = val_body(&r);
    assert_non_null(v);
    json_decref(v);
    req_done(&r);

    memmove(s + 5, s, n + 1);                     /* one more level: 33 */
    memcpy(s, "{\"a\":", 5);
    s[n + 5] = '}';
    s[n + 6] = '\0';
    body_parse_error(s, n + 6);

    /* Deeply nested lists inside a string are just text. */
    n = (size_t)snprintf(s, sizeof s, "{\"a\":\"");
    for (int i = 0; i < 100; i++)
        s[n++] = '[';
    n += (size_t)snprintf(s + n, sizeof s - n, "\\\"{{{{{{{{{{\"}");
    body_ok(s, n, NULL);
}

/* ---- regressions (bugs found and fixed) ---------------------------- */

/* Regression: py_float_str() in src/api/validate.c uses "%.*g" with the fewest
 * digits that round-trip, but %g switches to exponent form whenever the
 * decimal exponent is >= that precision, so every float >= 10 whose
 * shortest digits are fewer than its integer digits comes out in exponent
 * form: 10.0 → "1e+01" (Python: "10.0"), 120.0 → "1.2e+02", 1500.0 →
 * "1.5e+03", -20.0 → "-2e+01", 1e15 → "1e+15" (Python:
 * "1000000000000000.0"). Python uses exponent form only for exponents
 * < -4 or >= 16. So {"title": 10.0} is read as "1e+01". */
static void test_regression_float_exponent_form(void **state)
{
    (void)state;
    str_ok(json_real(10.0), 0, 0, 0, "10.0");
    str_ok(json_real(120.0), 0, 0, 0, "120.0");
    str_ok(json_real(100.0), 0, 0, 0, "100.0");
    str_ok(json_real(1500.0), 0, 0, 0, "1500.0");
    str_ok(json_real(-20.0), 0, 0, 0, "-20.0");
    str_ok(json_real(1e15), 0, 0, 0, "1000000000000000.0");
}

/* Regression: val_str() with V_BLANK_OK and min > 0 records "Ensure this field
 * has at least N characters." for "" (or whitespace). DRF's
 * CharField.run_validation returns '' for a blank value when allow_blank
 * is set, before any validator runs, and validate.h says "" is accepted.
 * (No current caller combines V_BLANK_OK with a minimum.) */
static void test_regression_blank_ok_with_min(void **state)
{
    (void)state;
    str_ok(json_string(""), V_BLANK_OK, 2, 10, "");
    str_ok(json_string("   "), V_BLANK_OK, 2, 10, "");
}

/* Regression: val_bool() refuses the JSON reals 1.0 and 0.0 ("Must be a valid
 * boolean."). DRF's BooleanField accepts them: 1.0 in TRUE_VALUES is True
 * in Python (1.0 == 1, same hash) and 0.0 is listed in FALSE_VALUES. */
static void test_regression_bool_reals(void **state)
{
    (void)state;
    bool_ok(json_real(1.0), true);
    bool_ok(json_real(0.0), false);
}

/* Regression: val_int() parses strings with strtoll and requires the whole string
 * to be digits, but DRF's IntegerField does int(re.sub(r'\.0*\s*$', '',
 * str(data))): surrounding whitespace and a ".0…" suffix are accepted, as
 * are Python's digit separators. " 7 " → 7, "7 " → 7, "1.0" → 1,
 * "12.000" → 12, "1_000" → 1000 in DRF; all "A valid integer is
 * required." here. */
static void test_regression_int_strings(void **state)
{
    (void)state;
    int_ok(json_string(" 7 "), 1, 100, 7);
    int_ok(json_string("7 "), 1, 100, 7);
    int_ok(json_string("1.0"), 1, 100, 1);
    int_ok(json_string("12.000"), 1, 100, 12);
    int_ok(json_string("1_000"), 1, 10000, 1000);
}

static int group_setup(void **state)
{
    (void)state;
    cfg.max_json_depth = 32;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_missing),
        cmocka_unit_test(test_str_null),
        cmocka_unit_test(test_str_blank),
        cmocka_unit_test(test_str_trim),
        cmocka_unit_test(test_str_types),
        cmocka_unit_test(test_str_numbers),
        cmocka_unit_test(test_str_lengths),
        cmocka_unit_test(test_str_email),
        cmocka_unit_test(test_errors_accumulate),
        cmocka_unit_test(test_bool_true),
        cmocka_unit_test(test_bool_false),
        cmocka_unit_test(test_bool_invalid),
        cmocka_unit_test(test_bool_missing),
        cmocka_unit_test(test_int_valid),
        cmocka_unit_test(test_int_invalid),
        cmocka_unit_test(test_int_range),
        cmocka_unit_test(test_int_missing),
        cmocka_unit_test(test_truthy),
        cmocka_unit_test(test_body_empty),
        cmocka_unit_test(test_body_objects),
        cmocka_unit_test(test_body_not_object),
        cmocka_unit_test(test_body_parse_errors),
        cmocka_unit_test(test_body_bad_utf8),
        cmocka_unit_test(test_body_depth),
    };
    const struct CMUnitTest bugs[] = {
        cmocka_unit_test(test_regression_float_exponent_form),
        cmocka_unit_test(test_regression_blank_ok_with_min),
        cmocka_unit_test(test_regression_bool_reals),
        cmocka_unit_test(test_regression_int_strings),
    };
    int failed = cmocka_run_group_tests_name("api/validate", tests, group_setup, NULL);
    return failed + cmocka_run_group_tests_name("api/validate regressions", bugs, group_setup,
                                                NULL);
}
