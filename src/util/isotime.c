/* isotime.c — instants as int64 epoch microseconds (UTC) and their
 * ISO-8601 renderings (API.md §1.6). Proleptic Gregorian calendar maths in
 * plain integers, so there is no dependency on the C library's time zone
 * state. Callers own the output buffers; nothing here allocates. */
#include "util/isotime.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define US_PER_SEC  INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)
#define US_PER_DAY  (US_PER_SEC * SEC_PER_DAY)

typedef struct iso_fields {
    int64_t year;
    int month, day, hour, min, sec;
    int usec;
} iso_fields;

/* ---- calendar ---------------------------------------------------------- */

/* Floor division for a positive divisor (C's '/' truncates toward 0). */
static int64_t iso_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
static int64_t iso_days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = iso_floor_div(y, 400);
    yoe = y - era * 400;                                   /* [0, 399] */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* Inverse of iso_days_from_civil. */
static void iso_civil_from_days(int64_t z, iso_fields *f)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = iso_floor_div(z, 146097);
    doe = z - era * 146097;                                        /* [0, 146096] */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* [0, 365] */
    mp = (5 * doy + 2) / 153;                                      /* [0, 11] */
    f->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    f->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    f->year = yoe + era * 400 + (f->month <= 2);
}

static bool iso_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int iso_days_in_month(int64_t y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return (m == 2 && iso_is_leap(y)) ? 29 : dim[m - 1];
}

static void iso_split(int64_t us, iso_fields *f)
{
    /* rem is taken with '%' rather than us - days * US_PER_DAY, which
     * would overflow near INT64_MIN. */
    int64_t days = iso_floor_div(us, US_PER_DAY);
    int64_t rem = us % US_PER_DAY;
    int64_t secs;

    if (rem < 0)
        rem += US_PER_DAY;                         /* [0, US_PER_DAY) */
    secs = rem / US_PER_SEC;

    iso_civil_from_days(days, f);
    f->usec = (int)(rem % US_PER_SEC);
    f->hour = (int)(secs / 3600);
    f->min = (int)(secs / 60 % 60);
    f->sec = (int)(secs % 60);
}

/* ---- clocks ------------------------------------------------------------ */

static int64_t iso_clock_us(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t time_now_us(void)
{
    return iso_clock_us(CLOCK_REALTIME);
}

int64_t time_mono_us(void)
{
    return iso_clock_us(CLOCK_MONOTONIC);
}

/* ---- formatting -------------------------------------------------------- */

/* Writes v as exactly width digits (v >= 0 and fits). */
static char *put_digits(char *p, long long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* Renders us followed by the zone suffix; the fraction only when non-zero.
 * Hand-rolled for years 0..9999 (timestamps are formatted by the hundred
 * per list answer); snprintf covers everything else. */
static size_t iso_format(int64_t us, const char *zone, char out[ISOTIME_MAX])
{
    iso_fields f;
    int n;

    iso_split(us, &f);
    size_t zl = strlen(zone);
    if (f.year >= 0 && f.year <= 9999 && zl < 8) {
        char *p = put_digits(out, f.year, 4);
        *p++ = '-';
        p = put_digits(p, f.month, 2);
        *p++ = '-';
        p = put_digits(p, f.day, 2);
        *p++ = 'T';
        p = put_digits(p, f.hour, 2);
        *p++ = ':';
        p = put_digits(p, f.min, 2);
        *p++ = ':';
        p = put_digits(p, f.sec, 2);
        if (f.usec != 0) {
            *p++ = '.';
            p = put_digits(p, f.usec, 6);
        }
        memcpy(p, zone, zl + 1);
        return (size_t)(p - out) + zl;
    }
    if (f.usec != 0)
        n = snprintf(out, ISOTIME_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d.%06d%s",
                     (long long)f.year, f.month, f.day, f.hour, f.min, f.sec,
                     f.usec, zone);
    else
        n = snprintf(out, ISOTIME_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d%s",
                     (long long)f.year, f.month, f.day, f.hour, f.min, f.sec,
                     zone);
    if (n < 0) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n < ISOTIME_MAX ? (size_t)n : ISOTIME_MAX - 1;
}

size_t time_iso_z(int64_t us, char out[ISOTIME_MAX])
{
    return iso_format(us, "Z", out);
}

size_t time_iso_offset(int64_t us, char out[ISOTIME_MAX])
{
    return iso_format(us, "+00:00", out);
}

/* ---- parsing ----------------------------------------------------------- */

/* Reads exactly n decimal digits at *p (n <= 9), advancing *p. */
static bool iso_digits(const char **p, int n, int *val)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *val = v;
    return true;
}

/* Reads a field of n digits followed by the separator sep (0 = none) and
 * checks it lies in [lo, hi]. */
static bool iso_field(const char **p, int n, char sep, int lo, int hi, int *val)
{
    if (!iso_digits(p, n, val) || *val < lo || *val > hi)
        return false;
    if (sep != '\0') {
        if (**p != sep)
            return false;
        (*p)++;
    }
    return true;
}

static bool iso_parse_date(const char **p, iso_fields *f)
{
    int y;

    if (!iso_field(p, 4, '-', 0, 9999, &y) ||
        !iso_field(p, 2, '-', 1, 12, &f->month) ||
        !iso_field(p, 2, '\0', 1, 31, &f->day))
        return false;
    f->year = y;
    return f->day <= iso_days_in_month(f->year, f->month);
}

static bool iso_parse_clock(const char **p, iso_fields *f)
{
    if (**p != 'T' && **p != ' ')
        return false;
    (*p)++;
    return iso_field(p, 2, ':', 0, 23, &f->hour) &&
           iso_field(p, 2, ':', 0, 59, &f->min) &&
           iso_field(p, 2, '\0', 0, 59, &f->sec);
}

/* Optional ".f" with 1..6 digits, scaled to microseconds. */
static bool iso_parse_fraction(const char **p, iso_fields *f)
{
    int n = 0;

    f->usec = 0;
    if (**p != '.')
        return true;
    (*p)++;
    while ((*p)[0] >= '0' && (*p)[0] <= '9') {
        if (++n > 6)
            return false;
        f->usec = f->usec * 10 + ((*p)[0] - '0');
        (*p)++;
    }
    if (n == 0)
        return false;
    for (; n < 6; n++)
        f->usec *= 10;
    return true;
}

/* "Z" or "+HH:MM" / "-HH:MM", then the end of the string. Sets *off_sec to
 * the zone's offset east of UTC. */
static bool iso_parse_zone(const char **p, int64_t *off_sec)
{
    int sign, hh, mm;

    if (**p == 'Z') {
        *off_sec = 0;
        (*p)++;
        return **p == '\0';
    }
    if (**p != '+' && **p != '-')
        return false;
    sign = (**p == '-') ? -1 : 1;
    (*p)++;
    if (!iso_field(p, 2, ':', 0, 23, &hh) || !iso_field(p, 2, '\0', 0, 59, &mm))
        return false;
    *off_sec = sign * (int64_t)(hh * 3600 + mm * 60);
    return **p == '\0';
}

int time_parse_iso(const char *s, int64_t *us)
{
    iso_fields f;
    int64_t off, secs;
    const char *p = s;

    if (s == NULL || us == NULL)
        return -1;
    if (!iso_parse_date(&p, &f) || !iso_parse_clock(&p, &f) ||
        !iso_parse_fraction(&p, &f) || !iso_parse_zone(&p, &off))
        return -1;
    secs = iso_days_from_civil(f.year, f.month, f.day) * SEC_PER_DAY +
           f.hour * 3600 + f.min * 60 + f.sec - off;
    *us = secs * US_PER_SEC + f.usec;
    return 0;
}
