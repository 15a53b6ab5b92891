/* utf8.c — UTF-8 validation, counting and Python-style strip; see utf8.h. */
#include "util/utf8.h"

#include <stdint.h>


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
