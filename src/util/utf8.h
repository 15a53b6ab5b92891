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
 * values past U+10FFFF): its byte length, or 0 if ill-formed or i >= len. */
size_t utf8_decode(const char *s, size_t len, size_t i, uint32_t *cp);

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
