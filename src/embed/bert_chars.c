/* bert_chars.c — see bert_chars.h. Lookups are binary searches over the
 * generated tables in bert_chars_tab.h (about 30 KB of read-only data):
 *   - classes: all of Unicode, in 2,100-odd runs;
 *   - lower-casing: Python's str.lower() where it gives one character;
 *   - accent stripping: NFD minus Mn for every decomposable code point
 *     (Latin, Greek, Cyrillic, CJK compatibility ideographs, Indic, …);
 *     Hangul syllables by the algorithm of Unicode §3.12.
 * Python's contextual final sigma (Σ at the end of a word → ς) is not
 * applied: Σ always lowers to σ. */
#include "embed/bert_chars.h"

#include "util/utf8.h"

#include "embed/bert_chars_tab.h"

#define NELEM(a) (sizeof(a) / sizeof *(a))

enum bc_class bc_class_of(uint32_t cp)
{
    size_t lo = 0, hi = NELEM(BC_CLASS);
    if (cp > 0x10FFFF)
        return BC_CONTROL;
    /* The last run whose start is <= cp (BC_CLASS[0] starts at 0). */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((BC_CLASS[mid] >> 3) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return (enum bc_class)(BC_CLASS[lo] & 7u);
}

int bc_is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

uint32_t bc_lower(uint32_t cp, uint32_t *extra)
{
    size_t lo = 0, hi = NELEM(BC_LOWER);
    *extra = 0;
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp == 0x130) {
        *extra = 0x307;
        return 'i';
    }
    if (cp < BC_LOWER[0].first)
        return cp;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (BC_LOWER[mid].first <= cp)
            lo = mid;
        else
            hi = mid;
    }
    const bc_lower_run *r = &BC_LOWER[lo];
    if (cp <= r->last && (cp - r->first) % r->step == 0)
        return (uint32_t)((int32_t)cp + r->delta);
    return cp;
}

#define HANGUL_S 0xAC00u
#define HANGUL_L 0x1100u
#define HANGUL_V 0x1161u
#define HANGUL_T 0x11A7u
#define HANGUL_TN 28u
#define HANGUL_NN (21u * 28u)
#define HANGUL_SN 11172u

static size_t strip_hangul(uint32_t cp, uint32_t out[3])
{
    uint32_t s = cp - HANGUL_S;
    out[0] = HANGUL_L + s / HANGUL_NN;
    out[1] = HANGUL_V + (s % HANGUL_NN) / HANGUL_TN;
    if (s % HANGUL_TN == 0)
        return 2;
    out[2] = HANGUL_T + s % HANGUL_TN;
    return 3;
}

static int find_decomp1(uint32_t cp, uint32_t *res)
{
    size_t lo = 0, hi = NELEM(BC_DECOMP1);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t key = (uint32_t)(BC_DECOMP1[mid] >> 32);
        if (key == cp) {
            *res = (uint32_t)(BC_DECOMP1[mid] & 0xFFFFFFFFu);
            return 1;
        }
        if (key < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static const bc_decomp *find_decompn(uint32_t cp)
{
    size_t lo = 0, hi = NELEM(BC_DECOMPN);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (BC_DECOMPN[mid].cp == cp)
            return &BC_DECOMPN[mid];
        if (BC_DECOMPN[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t bc_strip_accents(uint32_t cp, uint32_t out[3])
{
    if (cp < 0xC0) {            /* nothing below À decomposes */
        out[0] = cp;
        return 1;
    }
    if (cp >= HANGUL_S && cp < HANGUL_S + HANGUL_SN)
        return strip_hangul(cp, out);
    if (find_decomp1(cp, &out[0]))
        return 1;
    const bc_decomp *d = find_decompn(cp);
    if (d) {
        for (uint32_t k = 0; k < d->n; k++)
            out[k] = d->out[k];
        return d->n;
    }
    if (bc_class_of(cp) == BC_MARK)
        return 0;
    out[0] = cp;
    return 1;
}

uint32_t bc_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    uint32_t cp;
    size_t n = utf8_decode((const char *)s, len, *i, &cp);
    *i += n ? n : 1;
    return n ? cp : BC_INVALID;
}

size_t bc_utf8_put(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
