/* utf8.h — the few Unicode facts validation needs: is a byte string valid
 * UTF-8, how many code points it holds, where the n-th code point starts,
 * and Python's str.strip() whitespace. Pure functions over (ptr, len). */
#ifndef CHIMERA_UTIL_UTF8_H
#define CHIMERA_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool utf8_valid(const char *s, size_t len);

/* Decodes the code point at s[i] strictly (no overlongs, surrogates or
 * values past U+10FFFF): its byte length, or 0 if ill-formed or i >= len.
 * Inline: the embedders and tokenizers call it once per character. */
static inline size_t utf8_decode(const char *str, size_t len, size_t i, uint32_t *cp)
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


/* Number of code points in valid UTF-8. */
size_t utf8_count(const char *s, size_t len);

/* Byte length of the first n code points (or len if there are fewer). */
size_t utf8_prefix(const char *s, size_t len, size_t n);

/* Trims leading and trailing whitespace as Python's str.strip() does
 * (ASCII whitespace, U+001C..U+001F, U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000). Sets *start and returns the new
 * length; the input is not modified. */
size_t utf8_strip(const char *s, size_t len, size_t *start);

#endif
