/* utf8.c — UTF-8 validation, counting and Python-style strip; see utf8.h. */
#include "util/utf8.h"

#include <stdint.h>

size_t utf8_decode(const char *str, size_t len, size_t i, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (i >= len)
        return 0;
    unsigned char c = s[i];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2; v = c & 0x1F; min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3; v = c & 0x0F; min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (len - i < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_decode(s, len, i, &cp);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

size_t utf8_prefix(const char *s, size_t len, size_t n)
{
    size_t i = 0;
    while (i < len) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == 0)
                return i;
            n--;
        }
        i++;
    }
    return len;
}

static bool is_py_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
           c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t utf8_strip(const char *s, size_t len, size_t *start)
{
    size_t i = 0, end = 0;
    uint32_t cp;
    bool seen = false;
    *start = 0;
    while (i < len) {
        size_t n = utf8_decode(s, len, i, &cp);
        if (!n)
            n = 1, cp = 0xFFFD;
        if (!is_py_space(cp)) {
            if (!seen)
                *start = i;
            seen = true;
            end = i + n;
        }
        i += n;
    }
    return seen ? end - *start : 0;
}
