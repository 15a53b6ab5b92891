/* text.h — Unicode plumbing shared by the import extractors (§8.2, §8.3):
 * strict UTF-8 decoding of one code point, Python's str.isspace(),
 * bytes → UTF-8 (UTF-8, else Latin-1), repair of ill-formed UTF-8 and the
 * whitespace/control normaliser of §8.3 step 4.
 *
 * Ownership: every char * returned is malloc'd, NUL-terminated and owned by
 * the caller (free()); its byte length goes to *outlen (embedded NULs are
 * possible only where stated). NULL means out of memory. */
#ifndef CHIMERA_IMPORTS_TEXT_H
#define CHIMERA_IMPORTS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Decodes the code point at s[i] (strict: no overlongs, surrogates or
 * values past U+10FFFF). Returns its byte length, 0 if ill-formed. */
size_t imp_utf8_next(const char *s, size_t len, size_t i, uint32_t *cp);

/* Appends cp (a Unicode scalar value) to b as UTF-8; 0 or -1. */
int imp_utf8_put(buf *b, uint32_t cp);

/* Python's str.isspace() (= what re's \s and str.strip() treat as space). */
bool imp_is_space(uint32_t cp);

/* Unicode category Cc: U+0000..U+001F and U+007F..U+009F. */
bool imp_is_control(uint32_t cp);

/* §8.3 text decoding: valid UTF-8 is copied (a leading BOM dropped),
 * anything else is read as Latin-1. The result may contain NUL bytes. */
char *imp_decode_text(const void *data, size_t len, size_t *outlen);

/* Copies s replacing every ill-formed byte with U+FFFD, so the result is
 * always valid UTF-8. */
char *imp_utf8_sanitize(const char *s, size_t len, size_t *outlen);

enum {
    IMP_COLLAPSE_WS = 0,        /* whitespace runs → one space, stripped */
    IMP_DROP_CONTROLS = 1,      /* also delete non-space Cc characters */
};

/* Collapses every run of Python whitespace to one space and strips both
 * ends; with IMP_DROP_CONTROLS, control characters that are not
 * whitespace (NUL, U+0001.., DEL, C1 except U+0085) are deleted first, so
 * "a \x00 b" gives "a b". Ill-formed bytes become U+FFFD. */
char *imp_collapse(const char *s, size_t len, unsigned flags, size_t *outlen);

/* §8.3 step 4: imp_collapse(s, len, IMP_DROP_CONTROLS, outlen). */
char *imp_normalize(const char *s, size_t len, size_t *outlen);

/* Length in code points of valid UTF-8 (util/utf8.h's utf8_count). */
size_t imp_cp_len(const char *s, size_t len);

/* If s holds more than max code points, returns its first max code points
 * followed by suffix; otherwise a copy of s. */
char *imp_cut(const char *s, size_t len, size_t max, const char *suffix, size_t *outlen);

#endif
