/* hash.c — "hash-v1", the built-in offline embedder (see embedder.h), plus
 * the interface's two conveniences emb_one and emb_free.
 *
 * Signed feature hashing into 384 buckets of three feature families, all
 * taken from lower-cased words:
 *   - word unigrams            weight 1.0
 *   - adjacent word bigrams    weight 0.7
 *   - character trigrams of each word padded with begin/end markers
 *     ("^ca", "cat", "at$"), so typos and inflections share features,
 *     weight 0.5
 * Each distinct feature adds family_weight × (1 + ln tf) with a sign taken
 * from its hash; the 384 sums are L2-normalised.
 *
 * Words are runs of letters and digits: ASCII alphanumerics and every code
 * point ≥ 0x80 except controls, Latin-1 punctuation and symbols, Unicode
 * whitespace and the punctuation blocks U+2000–U+206F and U+3000–U+303F.
 * Lower-casing covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic
 * by fixed tables (no locale). Invalid UTF-8 bytes separate words.
 *
 * Features are identified by 32-bit keys: a 64-bit FNV-1a over code
 * points, finalised with murmur3's fmix64, with the family in bits 0–1,
 * the sign in bit 2 and the bucket in bits 8–31. Two features whose keys
 * collide therefore share bucket and sign anyway: a collision only merges
 * their term frequencies. The keys of a text are radix-sorted (linear) to
 * count tf: 8 bytes per feature (about 9 bytes per byte of English text)
 * of temporary memory, on the stack for short texts (up to 1024 features,
 * about 700 characters), otherwise one malloc sized by a counting pass
 * over the text and freed before returning.
 *
 * Hashing is integer arithmetic and the sums are doubles added in key
 * order, rounded to float once at the end, so vectors are the same on
 * every run and machine (libm's log, used for tf > 1, could differ in a
 * last double bit between libms; that survives rounding to float only on
 * an exact tie). No state is shared between calls: embed() is
 * thread-safe. emb_hash_new's embedder is owned by the caller (emb_free). */
#include "embed/embedder.h"
#include "util/errmsg.h"

#include "util/utf8.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_NAME "hash-v1"
#define HASH_DIM 384
#define STACK_KEYS 1024

enum { FAM_UNI = 0, FAM_BI = 1, FAM_TRI = 2 };

static const double FAM_WEIGHT[4] = {1.0, 0.7, 0.5, 0.0};
static const uint64_t FAM_SEED[3] = {
    0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full, 0x165667B19E3779F9ull,
};

#define FNV_BASIS 0xCBF29CE484222325ull
#define FNV_PRIME 0x100000001B3ull

/* Trigram padding symbols, outside the code point range. */
#define SYM_BEGIN 0x110000u
#define SYM_END 0x110001u
#define SYM_NONE 0x110002u
/* utf8_next's result for a byte that starts no valid sequence. */
#define CP_INVALID 0xFFFFFFFFu

/* ---- hashing ---------------------------------------------------------- */

static uint64_t fnv_step(uint64_t h, uint32_t sym)
{
    return (h ^ sym) * FNV_PRIME;
}

/* murmur3's 64-bit finaliser: every input bit affects every output bit. */
static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

static uint32_t feature_key(uint64_t h, unsigned fam)
{
    uint32_t m = (uint32_t)(fmix64(h ^ FAM_SEED[fam]) >> 32);
    return (m & ~3u) | fam;
}

/* Bits 0–1 family, bit 2 sign, bits 8–31 the bucket (multiply-shift). */
static size_t key_bucket(uint32_t key)
{
    return (size_t)(((uint64_t)(key >> 8) * HASH_DIM) >> 24);
}

/* ---- UTF-8 and character classes ---------------------------------------- */

/* Decodes the well-formed sequence at s[*i] (Unicode Table 3-7: no
 * overlongs, surrogates or values past U+10FFFF) and advances *i past it;
 * on anything else advances one byte and returns CP_INVALID. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    uint32_t cp;
    size_t n = utf8_decode((const char *)s, len, *i, &cp);
    *i += n ? n : 1;
    return n ? cp : CP_INVALID;
}

static bool cp_is_letter(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c < 0xC0)               /* C1 controls, NBSP, Latin-1 punctuation */
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7) /* × ÷ */
        return false;
    if (c == 0x1680 || c == 0xFEFF || c == 0xFFFD)
        return false;
    if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F))
        return false;
    return c != CP_INVALID;
}

/* Pairs where the even code point is the capital. */
static uint32_t lower_even(uint32_t c)
{
    return (c & 1u) ? c : c + 1;
}

/* Pairs where the odd code point is the capital. */
static uint32_t lower_odd(uint32_t c)
{
    return (c & 1u) ? c + 1 : c;
}

static uint32_t lower_latin_ext_a(uint32_t c)
{
    if (c == 0x130)             /* İ */
        return 'i';
    if (c == 0x178)             /* Ÿ */
        return 0xFF;
    if (c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return lower_even(c);
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return lower_odd(c);
    return c;
}

/* Final sigma is folded to σ too, so word-final and medial forms match. */
static uint32_t lower_greek(uint32_t c)
{
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 0x25;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 0x3F;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        return c + 0x20;
    if (c == 0x3C2)
        return 0x3C3;
    if (c >= 0x3D8 && c <= 0x3EF)
        return lower_even(c);
    return c;
}

static uint32_t lower_cyrillic(uint32_t c)
{
    if (c <= 0x40F)
        return c + 0x50;
    if (c <= 0x42F)
        return c + 0x20;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || c >= 0x4D0)
        return lower_even(c);
    if (c == 0x4C0)
        return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE)
        return lower_odd(c);
    return c;
}

static uint32_t cp_lower(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c < 0x100)
        return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 0x20 : c;
    if (c < 0x180)
        return lower_latin_ext_a(c);
    if (c >= 0x370 && c < 0x400)
        return lower_greek(c);
    if (c >= 0x400 && c < 0x500)
        return lower_cyrillic(c);
    return c;
}

/* ---- feature extraction ------------------------------------------------- */

/* Keys of one text. Counts every key; stores those that fit in cap. */
typedef struct keybuf {
    uint32_t *keys;
    size_t cap;
    size_t n;
} keybuf;

/* The word being read and the one before it. */
typedef struct tokstate {
    keybuf *kb;
    uint64_t word;   /* running FNV-1a over the word's code points */
    uint64_t prev;   /* hash of the previous word */
    uint32_t w0, w1; /* the two symbols before the next one, for trigrams */
    size_t len;      /* code points in the current word */
    bool has_prev;
} tokstate;

static void key_put(keybuf *kb, uint32_t key)
{
    if (kb->n < kb->cap)
        kb->keys[kb->n] = key;
    kb->n++;
}

static void trigram_put(keybuf *kb, uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t h = fnv_step(fnv_step(fnv_step(FNV_BASIS, a), b), c);
    key_put(kb, feature_key(h, FAM_TRI));
}

static void tok_letter(tokstate *t, uint32_t c)
{
    if (t->len == 0) {
        t->word = FNV_BASIS;
        t->w0 = SYM_NONE;
        t->w1 = SYM_BEGIN;
    }
    if (t->w0 != SYM_NONE)
        trigram_put(t->kb, t->w0, t->w1, c);
    t->w0 = t->w1;
    t->w1 = c;
    t->word = fnv_step(t->word, c);
    t->len++;
}

/* Closes the current word, if any: its last trigram, unigram and the
 * bigram with the previous word. */
static void tok_end(tokstate *t)
{
    if (t->len == 0)
        return;
    trigram_put(t->kb, t->w0, t->w1, SYM_END);
    key_put(t->kb, feature_key(t->word, FAM_UNI));
    if (t->has_prev)
        key_put(t->kb, feature_key(t->prev * FNV_PRIME ^ fmix64(t->word), FAM_BI));
    t->prev = t->word;
    t->has_prev = true;
    t->len = 0;
}

static void collect_keys(const unsigned char *s, size_t len, keybuf *kb)
{
    tokstate t = {.kb = kb};
    size_t i = 0;

    kb->n = 0;
    while (i < len) {
        uint32_t c = utf8_next(s, len, &i);
        if (cp_is_letter(c))
            tok_letter(&t, cp_lower(c));
        else
            tok_end(&t);
    }
    tok_end(&t);
}

/* ---- weighting ---------------------------------------------------------- */

static void insertion_sort(uint32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* LSD radix sort, four byte-wide passes; tmp holds n keys. An in-place
 * MSD radix sort (no tmp) measured about twice as slow, both for short
 * texts and for megabytes, where its permutation misses the cache on
 * every key. */
static void sort_keys(uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n <= 64) {
        insertion_sort(a, n);
        return;
    }
    for (unsigned shift = 0; shift < 32; shift += 8) {
        size_t cnt[256] = {0}, sum = 0;
        for (size_t i = 0; i < n; i++)
            cnt[(a[i] >> shift) & 0xFF]++;
        for (size_t b = 0; b < 256; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(a[i] >> shift) & 0xFF]++] = a[i];
        uint32_t *swap = a;
        a = tmp;
        tmp = swap;
    }
}

/* Adds each run of equal keys once, weighted by 1 + ln(run length). */
static void accumulate(const uint32_t *keys, size_t n, double *acc)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && keys[j] == keys[i])
            j++;
        double w = FAM_WEIGHT[keys[i] & 3u];
        if (j - i > 1)
            w *= 1.0 + log((double)(j - i));
        acc[key_bucket(keys[i])] += (keys[i] & 4u) ? -w : w;
        i = j;
    }
}

static void finish(const double *acc, float *out)
{
    double ss = 0.0;
    for (size_t d = 0; d < HASH_DIM; d++)
        ss += acc[d] * acc[d];
    double norm = sqrt(ss);
    for (size_t d = 0; d < HASH_DIM; d++)
        out[d] = norm > 0.0 ? (float)(acc[d] / norm) : 0.0f;
}

/* Embeds one text into out (HASH_DIM floats). */
static int hash_text(const char *text, float *out, char *err, size_t errsz)
{
    uint32_t stack_keys[2 * STACK_KEYS];
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    keybuf kb = {stack_keys, STACK_KEYS, 0};
    uint32_t *heap = NULL;
    double acc[HASH_DIM] = {0};
    uint32_t *tmp = stack_keys + STACK_KEYS;
    int rc = -1;

    collect_keys(s, len, &kb);
    if (kb.n > kb.cap) {
        size_t n = kb.n;
        if (n > SIZE_MAX / (2 * sizeof *heap)) {
            set_err(err, errsz, "text too long");
            goto out;
        }
        heap = malloc(2 * n * sizeof *heap);
        if (!heap) {
            set_err(err, errsz, "out of memory");
            goto out;
        }
        kb = (keybuf){heap, n, 0};
        tmp = heap + n;
        collect_keys(s, len, &kb);
    }
    sort_keys(kb.keys, tmp, kb.n);
    accumulate(kb.keys, kb.n, acc);
    finish(acc, out);
    rc = 0;
out:
    free(heap);
    return rc;
}

/* ---- the embedder -------------------------------------------------------- */

static int hash_embed(const embedder *e, const char *const *texts, size_t n, float *out,
                      char *err, size_t errsz)
{
    if (emb_check_args(texts, n, out, err, errsz) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (hash_text(texts[i], out + i * e->dim, err, errsz) != 0)
            return -1;
    }
    return 0;
}

static void hash_destroy(embedder *e)
{
    free(e);
}

embedder *emb_hash_new(void)
{
    embedder *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    snprintf(e->name, sizeof e->name, "%s", HASH_NAME);
    e->dim = HASH_DIM;
    e->embed = hash_embed;
    e->destroy = hash_destroy;
    return e;
}
