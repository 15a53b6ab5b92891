/* jsonw.c — see jsonw.h. */
#include "util/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(jsonw *w)
{
    memset(w, 0, sizeof *w);
    w->first[0] = true;
}

static void put(jsonw *w, const char *s, size_t n)
{
    if (!w->failed && buf_append(&w->b, s, n) != 0)
        w->failed = true;
}

/* The separator before a value: none after a key, else a comma unless
 * this is the first value of its container. */
static void value_start(jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = false;
}

static void open_container(jsonw *w, char c)
{
    value_start(w);
    put(w, &c, 1);
    if (w->depth + 1 >= JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->first[++w->depth] = true;
}

static void close_container(jsonw *w, char c)
{
    put(w, &c, 1);
    if (w->depth > 0)
        w->depth--;
}

void jw_obj(jsonw *w) { open_container(w, '{'); }
void jw_obj_end(jsonw *w) { close_container(w, '}'); }
void jw_arr(jsonw *w) { open_container(w, '['); }
void jw_arr_end(jsonw *w) { close_container(w, ']'); }

static void put_string(jsonw *w, const char *s)
{
    put(w, "\"", 1);
    if (!w->failed && buf_json_str(&w->b, s) != 0)
        w->failed = true;
    put(w, "\"", 1);
}

void jw_key(jsonw *w, const char *key)
{
    value_start(w);
    put_string(w, key);
    put(w, ":", 1);
    w->after_key = true;
}

void jw_str(jsonw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    value_start(w);
    put_string(w, s);
}

void jw_int(jsonw *w, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    value_start(w);
    put(w, tmp, (size_t)n);
}

void jw_bool(jsonw *w, bool v)
{
    value_start(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jsonw *w)
{
    value_start(w);
    put(w, "null", 4);
}

void jw_fixed4(jsonw *w, double v)
{
    char tmp[32], *p = tmp + sizeof tmp;
    if (!isfinite(v))
        v = 0.0;
    long long q = llround(v * 10000.0);
    int neg = q < 0;
    unsigned long long a = (unsigned long long)(neg ? -q : q);
    unsigned frac = (unsigned)(a % 10000);
    unsigned long long ip = a / 10000;
    int digits = 4;
    while (digits > 0 && frac % 10 == 0) {      /* trim trailing zeros */
        frac /= 10;
        digits--;
    }
    for (int i = 0; i < digits; i++) {
        *--p = (char)('0' + frac % 10);
        frac /= 10;
    }
    if (digits)
        *--p = '.';
    do {
        *--p = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (neg && a)
        *--p = '-';
    value_start(w);
    put(w, p, (size_t)(tmp + sizeof tmp - p));
}

void jw_raw(jsonw *w, const char *json)
{
    value_start(w);
    put(w, json, strlen(json));
}

void jw_fail(jsonw *w)
{
    w->failed = true;
}

char *jw_finish(jsonw *w)
{
    if (w->failed) {
        buf_free(&w->b);
        return NULL;
    }
    return buf_steal(&w->b);
}

void jw_kstr(jsonw *w, const char *key, const char *s) { jw_key(w, key); jw_str(w, s); }
void jw_kint(jsonw *w, const char *key, int64_t v) { jw_key(w, key); jw_int(w, v); }
void jw_kbool(jsonw *w, const char *key, bool v) { jw_key(w, key); jw_bool(w, v); }

void jw_list(jsonw *w, const char *key)
{
    jw_init(w);
    jw_obj(w);
    jw_key(w, key);
    jw_arr(w);
}

char *jw_list_end(jsonw *w, int64_t total)
{
    jw_arr_end(w);
    jw_kint(w, "total", total);
    jw_obj_end(w);
    return jw_finish(w);
}
