/* types.c — the type language of schemas.def (see types.h) as JSON Schema
 * and as example values. Everything returned is a new reference. */
#include "api/openapi/types.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX 256
#define ID_HEX 12

/* A copy of spec without its trailing '?' (and whether it had one). */
static bool split_nullable(const char *spec, char *out, size_t cap, bool *nullable)
{
    size_t n = strlen(spec);
    if (n == 0 || n >= cap)
        return false;
    *nullable = spec[n - 1] == '?';
    if (*nullable)
        n--;
    memcpy(out, spec, n);
    out[n] = '\0';
    return n > 0;
}

/* "name(lo..hi)": the name into base, the bounds (either may be absent). */
static bool split_bounds(const char *s, char *base, size_t cap, json_t **lo, json_t **hi)
{
    *lo = *hi = NULL;
    const char *open = strchr(s, '(');
    size_t n = open ? (size_t)(open - s) : strlen(s);
    if (n == 0 || n >= cap)
        return false;
    memcpy(base, s, n);
    base[n] = '\0';
    if (!open)
        return true;
    const char *dots = strstr(open, "..");
    const char *close = strchr(open, ')');
    if (!dots || !close || close[1] != '\0' || dots > close)
        return false;
    char *end;
    if (dots > open + 1) {
        long v = strtol(open + 1, &end, 10);   /* integers: strtod would eat the '.' */
        if (end != dots)
            return false;
        *lo = json_integer(v);
    }
    if (close > dots + 2) {
        long v = strtol(dots + 2, &end, 10);
        if (end != close) {
            json_decref(*lo);
            *lo = NULL;
            return false;
        }
        *hi = json_integer(v);
    }
    return true;
}

/* Sets schema[key] = v (stolen) when the bound was given. */
static void set_bound(json_t *schema, const char *key, json_t *v)
{
    if (v)
        json_object_set_new(schema, key, v);
}

static json_t *enum_of(const char *list)
{
    json_t *e = json_array();
    const char *p = list;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        json_array_append_new(e, json_stringn(p, n));
        if (!bar)
            return e;
        p = bar + 1;
    }
}

static json_t *format_string(const char *format)
{
    return json_pack("{s:s,s:s}", "type", "string", "format", format);
}

/* A scalar or named type (no '?', no brackets). */
static json_t *base_type(const char *s)
{
    if (strncmp(s, "enum:", 5) == 0)
        return json_pack("{s:s,s:o}", "type", "string", "enum", enum_of(s + 5));
    if (strncmp(s, "id:", 3) == 0)
        return json_pack("{s:s,s:s++}", "type", "string", "pattern", "^", s + 3,
                         "-[0-9a-f]{12}$");
    if (isupper((unsigned char)s[0]))
        return json_pack("{s:s+}", "$ref", "#/components/schemas/", s);
    char base[SPEC_MAX];
    json_t *lo, *hi;
    if (!split_bounds(s, base, sizeof base, &lo, &hi))
        return NULL;
    json_t *t = NULL;
    if (strcmp(base, "string") == 0) {
        t = json_pack("{s:s}", "type", "string");
        set_bound(t, "minLength", lo);
        set_bound(t, "maxLength", hi);
        return t;
    }
    if (strcmp(base, "integer") == 0 || strcmp(base, "number") == 0) {
        t = json_pack("{s:s}", "type", base);
        set_bound(t, "minimum", lo);
        set_bound(t, "maximum", hi);
        return t;
    }
    if (strcmp(base, "date-time") == 0 || strcmp(base, "uuid") == 0 ||
        strcmp(base, "email") == 0 || strcmp(base, "uri") == 0) {
        t = format_string(base);
        set_bound(t, "minLength", lo);
        set_bound(t, "maxLength", hi);
        return t;
    }
    json_decref(lo);
    json_decref(hi);
    if (strcmp(base, "boolean") == 0)
        return json_pack("{s:s}", "type", "boolean");
    if (strcmp(base, "object") == 0)
        return json_pack("{s:s}", "type", "object");
    if (strcmp(base, "any") == 0)
        return json_object();
    if (strcmp(base, "binary") == 0)
        return json_pack("{s:s,s:s}", "type", "string", "contentMediaType",
                         "application/octet-stream");
    return NULL;
}

/* T or null: a type list where the schema names one type, anyOf otherwise. */
static json_t *or_null(json_t *t)
{
    json_t *type = json_object_get(t, "type");
    if (json_is_string(type)) {
        json_object_set_new(t, "type", json_pack("[O,s]", type, "null"));
        json_t *e = json_object_get(t, "enum");
        if (e)
            json_array_append_new(e, json_null());
        return t;
    }
    return json_pack("{s:[o,{s:s}]}", "anyOf", t, "type", "null");
}

json_t *oas_type(const char *spec)
{
    char s[SPEC_MAX];
    bool nullable;
    if (!spec || !split_nullable(spec, s, sizeof s, &nullable))
        return NULL;
    json_t *t;
    size_t n = strlen(s);
    if (s[0] == '[') {
        if (n < 3 || s[n - 1] != ']')
            return NULL;
        s[n - 1] = '\0';
        json_t *items = oas_type(s + 1);
        if (!items)
            return NULL;
        t = json_pack("{s:s,s:o}", "type", "array", "items", items);
    } else {
        t = base_type(s);
    }
    if (!t)
        return NULL;
    return nullable ? or_null(t) : t;
}

static json_t *scalar_example(const char *base, const char *s)
{
    if (strncmp(s, "enum:", 5) == 0) {
        const char *bar = strchr(s + 5, '|');
        return bar ? json_stringn(s + 5, (size_t)(bar - s - 5)) : json_string(s + 5);
    }
    if (strncmp(s, "id:", 3) == 0)
        return json_sprintf("%s-1a2b3c4d5e6f", s + 3);
    if (strcmp(base, "string") == 0)
        return json_string("text");
    if (strcmp(base, "integer") == 0)
        return json_integer(1);
    if (strcmp(base, "number") == 0)
        return json_real(0.5);
    if (strcmp(base, "boolean") == 0)
        return json_true();
    if (strcmp(base, "object") == 0)
        return json_object();
    if (strcmp(base, "date-time") == 0)
        return json_string("2026-12-05T06:18:00.123456Z");
    if (strcmp(base, "uuid") == 0)
        return json_string("3f2c0d9e-8a51-4c4e-9c1e-0b7a7d2f6a11");
    if (strcmp(base, "email") == 0)
        return json_string("ada@example.com");
    if (strcmp(base, "uri") == 0)
        return json_string("https://example.com/article");
    return NULL;
}

json_t *oas_example(const char *spec)
{
    char s[SPEC_MAX];
    bool nullable;
    if (!spec || !split_nullable(spec, s, sizeof s, &nullable))
        return NULL;
    size_t n = strlen(s);
    if (s[0] == '[') {
        if (n < 3 || s[n - 1] != ']')
            return NULL;
        s[n - 1] = '\0';
        json_t *item = oas_example(s + 1);
        return item ? json_pack("[o]", item) : json_array();
    }
    if (isupper((unsigned char)s[0]))
        return NULL;
    char base[SPEC_MAX];
    const char *open = strchr(s, '(');
    size_t bn = open ? (size_t)(open - s) : n;
    memcpy(base, s, bn);
    base[bn] = '\0';
    json_t *ex = scalar_example(base, s);
    /* a lower bound above the default example is the better example */
    if (ex && json_is_integer(ex) && open && open[1] != '.') {
        long lo = strtol(open + 1, NULL, 10);
        if (lo > 1)
            json_integer_set(ex, lo);
    }
    return ex;
}

int oas_scalar_parse(const char *spec, oas_scalar *out)
{
    char s[SPEC_MAX], base[SPEC_MAX];
    memset(out, 0, sizeof *out);
    if (!spec || !split_nullable(spec, s, sizeof s, &out->nullable) || s[0] == '[' ||
        isupper((unsigned char)s[0]))
        return -1;
    if (strncmp(s, "enum:", 5) == 0) {
        snprintf(out->base, sizeof out->base, "enum");
        out->choices = spec + 5;
        return 0;
    }
    json_t *lo, *hi;
    if (!split_bounds(s, base, sizeof base, &lo, &hi) || strlen(base) >= sizeof out->base) {
        return -1;
    }
    memcpy(out->base, base, strlen(base) + 1);     /* its length checked above */
    out->has_lo = lo != NULL;
    out->has_hi = hi != NULL;
    out->lo = lo ? (long)json_integer_value(lo) : 0;
    out->hi = hi ? (long)json_integer_value(hi) : 0;
    json_decref(lo);
    json_decref(hi);
    return 0;
}
