/* json_indent.c — Python-style JSON pretty printer over a jansson tree;
 * see json_indent.h. The caller owns *out.
 *
 * Where Python and jansson disagree on what is JSON (NaN/Infinity
 * literals, integers past 64 bits, reals that overflow, unpaired \ud800
 * escapes) jansson refuses and the caller falls back to the raw text. */
#include "imports/json_indent.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imports/text.h"
#include "util/buf.h"
#include "util/oom.h"

static const char JSON_HEX[] = "0123456789abcdef";

/* Python's json gives up (RecursionError) a little below 1,000 levels;
 * deeper documents are kept as raw text, which also bounds our stack. */
#define JSON_MAX_DEPTH 990
#define JSON_TOO_DEEP (-2)

/* Python's ensure_ascii escaping: anything outside ' '..'~' is escaped,
 * with lower-case \uXXXX (surrogate pairs above U+FFFF). */
static int json_put_str(buf *b, const char *s, size_t len)
{
    uint32_t cp;
    if (buf_putc(b, '"') != 0)
        return -1;
    for (size_t i = 0; i < len;) {
        size_t n = imp_utf8_next(s, len, i, &cp);
        const char *esc = NULL;
        if (!n) {
            cp = 0xFFFD;
            n = 1;
        }
        i += n;
        switch (cp) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default: break;
        }
        if (esc) {
            if (buf_puts(b, esc) != 0)
                return -1;
            continue;
        }
        if (cp >= 0x20 && cp <= 0x7E) {
            if (buf_putc(b, (char)cp) != 0)
                return -1;
            continue;
        }
        uint32_t units[2] = { cp, 0 };
        int nu = 1;
        if (cp > 0xFFFF) {
            units[0] = 0xD800 | ((cp - 0x10000) >> 10);
            units[1] = 0xDC00 | ((cp - 0x10000) & 0x3FF);
            nu = 2;
        }
        for (int k = 0; k < nu; k++) {
            char e[6] = { '\\', 'u', JSON_HEX[units[k] >> 12 & 15], JSON_HEX[units[k] >> 8 & 15],
                          JSON_HEX[units[k] >> 4 & 15], JSON_HEX[units[k] & 15] };
            if (buf_append(b, e, 6) != 0)
                return -1;
        }
    }
    return buf_putc(b, '"');
}

/* Shortest "%.*e" rendering of v that reads back as v; digits (no dot)
 * into dig, returns the decimal exponent. */
static int json_shortest(double v, char *dig, size_t digsz)
{
    char tmp[40];
    int exp = 0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    size_t n = 0;
    const char *p = tmp + (tmp[0] == '-');
    for (; *p && *p != 'e' && n + 1 < digsz; p++)
        if (*p >= '0' && *p <= '9')
            dig[n++] = *p;
    dig[n] = '\0';
    if (*p == 'e')
        exp = (int)strtol(p + 1, NULL, 10);
    while (n > 1 && dig[n - 1] == '0')
        dig[--n] = '\0';
    return exp;
}

void imp_json_repr_double(double v, char *out, size_t outsz)
{
    char dig[24];
    if (isnan(v)) {
        snprintf(out, outsz, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, outsz, "%s", v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    int decpt = json_shortest(v, dig, sizeof dig) + 1;
    int nd = (int)strlen(dig);
    const char *sign = signbit(v) ? "-" : "";
    if (decpt <= -4 || decpt > 16) {
        int e = decpt - 1;
        snprintf(out, outsz, "%s%c%s%s" "e%c%02d", sign, dig[0], nd > 1 ? "." : "",
                 dig + 1, e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (decpt <= 0) {
        snprintf(out, outsz, "%s0.%.*s%s", sign, -decpt, "0000", dig);
    } else if (decpt < nd) {
        snprintf(out, outsz, "%s%.*s.%s", sign, decpt, dig, dig + decpt);
    } else {
        snprintf(out, outsz, "%s%s%.*s.0", sign, dig, decpt - nd, "0000000000000000");
    }
}

static int json_put(buf *b, json_t *v, int indent, int level);

/* Newline and indentation before an item (or one space in one-line mode). */
static int json_newline(buf *b, int indent, int level)
{
    if (indent < 0)
        return buf_putc(b, ' ');
    if (buf_putc(b, '\n') != 0)
        return -1;
    for (int i = 0; i < indent * level; i++)
        if (buf_putc(b, ' ') != 0)
            return -1;
    return 0;
}

static int json_put_array(buf *b, json_t *v, int indent, int level)
{
    size_t n = json_array_size(v);
    if (n == 0)
        return buf_puts(b, "[]");
    if (buf_putc(b, '[') != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int rc;
        if ((i && buf_putc(b, ',') != 0) || json_newline(b, indent, level + 1) != 0)
            return -1;
        if ((rc = json_put(b, json_array_get(v, i), indent, level + 1)) != 0)
            return rc;
    }
    if (json_newline(b, indent, level) != 0)
        return -1;
    return buf_putc(b, ']');
}

static int json_put_object(buf *b, json_t *v, int indent, int level)
{
    const char *key;
    size_t klen, i = 0;
    json_t *val;
    if (json_object_size(v) == 0)
        return buf_puts(b, "{}");
    if (buf_putc(b, '{') != 0)
        return -1;
    json_object_keylen_foreach(v, key, klen, val) {
        int rc;
        if ((i++ && buf_putc(b, ',') != 0) || json_newline(b, indent, level + 1) != 0 ||
            json_put_str(b, key, klen) != 0 || buf_append(b, ": ", 2) != 0)
            return -1;
        if ((rc = json_put(b, val, indent, level + 1)) != 0)
            return rc;
    }
    if (json_newline(b, indent, level) != 0)
        return -1;
    return buf_putc(b, '}');
}

static int json_put(buf *b, json_t *v, int indent, int level)
{
    char num[40];
    if (level > JSON_MAX_DEPTH)
        return JSON_TOO_DEEP;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_put_object(b, v, indent, level);
    case JSON_ARRAY:
        return json_put_array(b, v, indent, level);
    case JSON_STRING:
        return json_put_str(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf_puts(b, num);
    case JSON_REAL:
        imp_json_repr_double(json_real_value(v), num, sizeof num);
        return buf_puts(b, num);
    case JSON_TRUE:
        return buf_puts(b, "true");
    case JSON_FALSE:
        return buf_puts(b, "false");
    case JSON_NULL:
        return buf_puts(b, "null");
    }
    return -1;
}

int imp_json_indent(const char *s, size_t len, int indent, size_t max,
                    char **out, size_t *outlen)
{
    json_error_t jerr;
    buf b = BUF_INIT(max);
    int rc = -1;
    json_t *v = json_parse(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    *out = NULL;
    if (!v) {
        rc = 1;
        goto out;
    }
    int put = json_put(&b, v, indent < 0 ? -1 : indent, 0);
    if (put == JSON_TOO_DEEP)
        rc = 1;
    if (put != 0)
        goto out;
    if (outlen)
        *outlen = b.len;
    *out = buf_steal(&b);
    rc = *out ? 0 : -1;
out:
    json_decref(v);
    buf_free(&b);
    return rc;
}
