/* bert_chars.h — the character classes and mappings of BERT's tokenizer
 * (HuggingFace BertTokenizer's BasicTokenizer), from tables generated out
 * of Python's unicodedata (bert_chars_tab.h, scripts/gen-bert-chars.py).
 * Pure functions over code points; no state. */
#ifndef CHIMERA_EMBED_BERT_CHARS_H
#define CHIMERA_EMBED_BERT_CHARS_H

#include <stddef.h>
#include <stdint.h>

enum bc_class {
    BC_OTHER = 0,
    BC_SPACE = 1,   /* Zs, Zl, Zp, \t \n \r: separates words */
    BC_CONTROL = 2, /* the other C* categories (Cc Cf Cs Co Cn): dropped */
    BC_PUNCT = 3,   /* P* and ASCII punctuation/symbols 33-47 58-64 91-96 123-126 */
    BC_MARK = 4,    /* Mn: dropped with accent stripping */
};

#define BC_INVALID 0xFFFDu

/* The class of a code point (past U+10FFFF: BC_CONTROL). */
enum bc_class bc_class_of(uint32_t cp);

/* The CJK ideograph ranges BERT splits into single-character words. */
int bc_is_cjk(uint32_t cp);

/* Python's str.lower() for characters that lower-case to one character;
 * U+0130 (İ, which Python lowers to "i" + U+0307) gives 'i' and sets
 * *extra to U+0307, else *extra is 0. */
uint32_t bc_lower(uint32_t cp, uint32_t *extra);

/* NFD of cp without its nonspacing marks (Mn), written to out: 0 to 3 code
 * points (0 for a mark itself). Hangul syllables become their 2 or 3 jamo. */
size_t bc_strip_accents(uint32_t cp, uint32_t out[3]);

/* Decodes the well-formed UTF-8 sequence at s[*i] (no overlongs,
 * surrogates or values past U+10FFFF) and advances *i past it; on anything
 * else advances one byte and returns BC_INVALID. *i < len. */
uint32_t bc_utf8_next(const unsigned char *s, size_t len, size_t *i);

/* Appends cp as UTF-8 to out (room for 4 bytes); returns the bytes written. */
size_t bc_utf8_put(uint32_t cp, unsigned char *out);

#endif
