/* test_isotime.c — unit tests for src/util/isotime.c: both renderings,
 * calendar edge cases, agreement with gmtime_r, parse round trips and
 * rejection of malformed or out-of-range input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "util/isotime.h"

#define US INT64_C(1000000)
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z */
#define US_YEAR1    INT64_C(-62135596800000000)
#define US_YEAR9999 INT64_C(253402300799999999)

static uint64_t lcg_state = 0x9e3779b97f4a7c15u;

static uint64_t lcg_next(void)
{
    lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
    return lcg_state >> 11;
}

/* A pseudo-random instant in [0001-01-01, 9999-12-31]. */
static int64_t lcg_instant(void)
{
    uint64_t span = (uint64_t)(US_YEAR9999 - US_YEAR1) + 1;
    return US_YEAR1 + (int64_t)(((lcg_next() << 11) ^ lcg_next()) % span);
}

static void check_z(int64_t us, const char *want)
{
    char out[ISOTIME_MAX];
    size_t n = time_iso_z(us, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void check_offset(int64_t us, const char *want)
{
    char out[ISOTIME_MAX];
    size_t n = time_iso_offset(us, out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void check_parse(const char *s, int64_t want)
{
    int64_t got = 12345;
    if (time_parse_iso(s, &got) != 0)
        fail_msg("rejected: \"%s\"", s);
    if (got != want)
        fail_msg("\"%s\": got %lld want %lld", s, (long long)got, (long long)want);
}

static void check_reject(const char *s)
{
    int64_t got = 12345;
    if (time_parse_iso(s, &got) != -1)
        fail_msg("accepted: \"%s\"", s);
}

/* ---- formatting -------------------------------------------------------- */

static void test_format_known(void **state)
{
    (void)state;
    check_z(0, "1970-01-01T00:00:00Z");
    check_offset(0, "1970-01-01T00:00:00+00:00");
    check_z(1, "1970-01-01T00:00:00.000001Z");
    check_z(999999, "1970-01-01T00:00:00.999999Z");
    check_z(US, "1970-01-01T00:00:01Z");
    check_z(INT64_C(1765174680123456), "2025-12-08T06:18:00.123456Z");
    check_offset(INT64_C(1765174680123456), "2025-12-08T06:18:00.123456+00:00");
    check_z(INT64_C(1765174680000000), "2025-12-08T06:18:00Z");
    check_offset(INT64_C(1765174680000000), "2025-12-08T06:18:00+00:00");
    check_z(INT64_C(1765174680100000), "2025-12-08T06:18:00.100000Z");
    check_z(INT64_C(499162800) * US, "1985-10-26T08:20:00Z");
}

static void test_format_leap_years(void **state)
{
    (void)state;
    check_z(INT64_C(951825600000000), "2000-02-29T12:00:00Z");
    check_z(INT64_C(951868799999999), "2000-02-29T23:59:59.999999Z");
    check_z(INT64_C(951868800000000), "2000-03-01T00:00:00Z");
    check_z(INT64_C(946684799999999), "1999-12-31T23:59:59.999999Z");
    check_z(INT64_C(946684800000000), "2000-01-01T00:00:00Z");
    check_z(INT64_C(4107542400000000), "2100-03-01T00:00:00Z");  /* no Feb 29 */
    check_z(INT64_C(4107542400000000) - US, "2100-02-28T23:59:59Z");
    check_z(INT64_C(1709164800000000), "2024-02-29T00:00:00Z");
    check_z(INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z");
}

static void test_format_before_1970(void **state)
{
    (void)state;
    check_z(-1, "1969-12-31T23:59:59.999999Z");
    check_z(-US, "1969-12-31T23:59:59Z");
    check_z(-US - 1, "1969-12-31T23:59:58.999999Z");
    check_z(INT64_C(-86400) * US, "1969-12-31T00:00:00Z");
    check_z(INT64_C(-2208988800000000), "1900-01-01T00:00:00Z");
    check_z(INT64_C(-11670998400000000), "1600-02-29T00:00:00Z");
    check_z(US_YEAR1, "0001-01-01T00:00:00Z");
    check_offset(US_YEAR1 - 1, "0000-12-31T23:59:59.999999+00:00");
}

/* Any int64 renders without overflow or truncation. */
static void test_format_extremes(void **state)
{
    static const int64_t v[] = { INT64_MIN, INT64_MIN + 1, INT64_MAX,
                                 INT64_MAX - 1, INT64_C(-86400000000) * 3652425 };
    char out[ISOTIME_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        size_t n = time_iso_offset(v[i], out);
        assert_true(n < ISOTIME_MAX);
        assert_int_equal(n, strlen(out));
        n = time_iso_z(v[i], out);
        assert_true(n < ISOTIME_MAX);
        assert_int_equal(out[n - 1], 'Z');
    }
    check_z(INT64_MAX, "294247-01-10T04:00:54.775807Z");
}

/* The date part agrees with the C library over a wide random sample. */
static void test_format_matches_gmtime(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t us = lcg_instant();
        int64_t secs = us / US - (us % US < 0);
        time_t t = (time_t)secs;
        struct tm tm;
        char want[ISOTIME_MAX], got[ISOTIME_MAX];

        assert_non_null(gmtime_r(&t, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        time_iso_z(us, got);
        assert_memory_equal(got, want, 19);
    }
}

/* Consecutive days step through the calendar without gaps or repeats. */
static void test_format_day_by_day(void **state)
{
    int64_t day = INT64_C(86400) * US;
    char prev[ISOTIME_MAX], cur[ISOTIME_MAX];
    (void)state;
    time_iso_z(US_YEAR1, prev);
    for (int64_t us = US_YEAR1 + day; us <= US_YEAR9999; us += day) {
        time_iso_z(us, cur);
        assert_true(strcmp(prev, cur) < 0);
        if (memcmp(prev, cur, 8) == 0) {          /* same month: day + 1 */
            int d0 = (prev[8] - '0') * 10 + (prev[9] - '0');
            int d1 = (cur[8] - '0') * 10 + (cur[9] - '0');
            assert_int_equal(d1, d0 + 1);
        } else {
            assert_memory_equal(cur + 8, "01", 2);
        }
        memcpy(prev, cur, sizeof prev);
    }
}

/* ---- parsing ----------------------------------------------------------- */

static void test_parse_known(void **state)
{
    (void)state;
    check_parse("1970-01-01T00:00:00Z", 0);
    check_parse("1970-01-01T00:00:00+00:00", 0);
    check_parse("1970-01-01T00:00:00-00:00", 0);
    check_parse("1970-01-01 00:00:00Z", 0);
    check_parse("1985-10-26T01:20:00-07:00", INT64_C(499162800) * US);
    check_parse("1985-10-26T13:50:00+05:30", INT64_C(499162800) * US);
    check_parse("1985-10-27T08:19:00+23:59", INT64_C(499162800) * US);
    check_parse("2025-12-08T06:18:00.123456Z", INT64_C(1765174680123456));
    check_parse("2025-12-08 06:18:00.123456+00:00", INT64_C(1765174680123456));
    check_parse("2000-02-29T12:00:00Z", INT64_C(951825600000000));
    check_parse("1999-12-31T23:59:59.999999Z", INT64_C(946684799999999));
    check_parse("1969-12-31T23:59:59.999999Z", -1);
    check_parse("0001-01-01T00:00:00Z", US_YEAR1);
    check_parse("9999-12-31T23:59:59.999999Z", US_YEAR9999);
    check_parse("0000-01-01T00:00:00Z", INT64_C(-62167219200000000));
}

static void test_parse_fraction_scaling(void **state)
{
    (void)state;
    check_parse("1970-01-01T00:00:00.5Z", 500000);
    check_parse("1970-01-01T00:00:00.12Z", 120000);
    check_parse("1970-01-01T00:00:00.123Z", 123000);
    check_parse("1970-01-01T00:00:00.1234Z", 123400);
    check_parse("1970-01-01T00:00:00.12345Z", 123450);
    check_parse("1970-01-01T00:00:00.123456Z", 123456);
    check_parse("1970-01-01T00:00:00.000001Z", 1);
    check_parse("1970-01-01T00:00:00.000000Z", 0);
    check_parse("1969-12-31T23:59:59.9+00:00", -100000);
}

static void test_parse_rejects(void **state)
{
    static const char *bad[] = {
        "", "Z", "2025", "2025-12-08", "2025-12-08T", "2025-12-08T06:18",
        "2025-12-08T06:18:00",                  /* no zone */
        "2025-12-08T06:18:00.123456",           /* no zone */
        "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z",
        "2025-01-32T00:00:00Z", "2025-01-00T00:00:00Z",
        "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
        "2025-04-31T00:00:00Z", "2025-06-31T00:00:00Z", "2025-11-31T00:00:00Z",
        "2025-01-01T24:00:00Z", "2025-01-01T00:60:00Z", "2025-01-01T00:00:60Z",
        "2025-01-01T00:00:00.1234567Z",         /* 7-digit fraction */
        "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00,5Z",
        "2025-01-01T00:00:00Z ", " 2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Zjunk", "2025-01-01T00:00:00ZZ",
        "2025-01-01T00:00:00+00:00x", "2025-01-01T00:00:00+00:00Z",
        "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00+05:60",
        "2025-01-01T00:00:00+0530", "2025-01-01T00:00:00+05",
        "2025-01-01T00:00:00+5:30", "2025-01-01T00:00:00 +00:00",
        "2025-01-01t00:00:00Z", "2025-01-01T00:00:00z",
        "2025-01-01_00:00:00Z", "2025-01-01T00:00:00UTC",
        "225-01-01T00:00:00Z", "12025-01-01T00:00:00Z", "+2025-01-01T00:00:00Z",
        "-001-01-01T00:00:00Z", "2025-1-01T00:00:00Z", "2025-01-1T00:00:00Z",
        "2025-01-01T0:00:00Z", "2025-01-01T00:0:00Z", "2025-01-01T00:00:0Z",
        "2025/01/01T00:00:00Z", "2025-01-01T00-00-00Z", "20250101T000000Z",
        "2025-01-01T00:00:00.-1Z", "2025-01-01T00:00:00.1e3Z",
        "2025-01-01T00:00:00.+00:00", "2025-0a-01T00:00:00Z",
        "2025-01-01T00:00:00\n", "2025-01-01T00:00:00Z\n",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check_reject(bad[i]);
    assert_int_equal(time_parse_iso(NULL, &(int64_t){ 0 }), -1);
    assert_int_equal(time_parse_iso("1970-01-01T00:00:00Z", NULL), -1);
}

static void test_parse_rejects_long(void **state)
{
    size_t n = 1 << 20;
    char *s = malloc(n + 1);
    (void)state;
    assert_non_null(s);
    memset(s, '9', n);
    s[n] = '\0';
    check_reject(s);
    memcpy(s, "2025-01-01T00:00:00.", 20);       /* endless fraction */
    check_reject(s);
    memcpy(s, "2025-01-01T00:00:00Z", 20);       /* valid prefix, junk tail */
    check_reject(s);
    memcpy(s, "2025-01-01T00:00:00+00:00", 25);
    check_reject(s);
    s[25] = '\0';
    check_parse(s, INT64_C(1735689600) * US);
    free(s);
}

/* parse(format(x)) == x in both renderings over a wide random range. */
static void test_parse_round_trip(void **state)
{
    char buf[ISOTIME_MAX];
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t us = lcg_instant(), got = 0;
        if (i % 4 == 0)
            us -= us % US;                         /* whole seconds too */
        time_iso_z(us, buf);
        assert_int_equal(time_parse_iso(buf, &got), 0);
        assert_true(got == us);
        time_iso_offset(us, buf);
        assert_int_equal(time_parse_iso(buf, &got), 0);
        assert_true(got == us);
    }
}

/* Rendering local time at a random offset and parsing it gives the same
 * instant back. */
static void test_parse_offsets(void **state)
{
    char local[ISOTIME_MAX], s[ISOTIME_MAX + 8];
    (void)state;
    for (int i = 0; i < 50000; i++) {
        int64_t us = lcg_instant(), got = 0;
        int off_min = (int)(lcg_next() % (2 * 1439 + 1)) - 1439;   /* ±23:59 */
        int64_t local_us = us + (int64_t)off_min * 60 * US;
        int a = abs(off_min);
        size_t n;

        if (local_us < US_YEAR1 || local_us > US_YEAR9999)
            continue;
        n = time_iso_z(local_us, local);
        local[n - 1] = '\0';                                       /* drop Z */
        if (i % 2)
            local[10] = ' ';
        snprintf(s, sizeof s, "%s%c%02d:%02d", local, off_min < 0 ? '-' : '+',
                 a / 60, a % 60);
        assert_int_equal(time_parse_iso(s, &got), 0);
        assert_true(got == us);
    }
}

/* ---- clocks ------------------------------------------------------------ */

static void test_clocks(void **state)
{
    int64_t now = time_now_us(), m0 = time_mono_us(), m1;
    int64_t t = (int64_t)time(NULL) * US;
    (void)state;
    assert_true(now > INT64_C(1577836800) * US);          /* after 2020 */
    assert_true(now - t < 5 * US && t - now < 5 * US);
    m1 = time_mono_us();
    assert_true(m1 >= m0);
    assert_true(m0 > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_leap_years),
        cmocka_unit_test(test_format_before_1970),
        cmocka_unit_test(test_format_extremes),
        cmocka_unit_test(test_format_matches_gmtime),
        cmocka_unit_test(test_format_day_by_day),
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_parse_fraction_scaling),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_rejects_long),
        cmocka_unit_test(test_parse_round_trip),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests_name("util/isotime", tests, NULL, NULL);
}
