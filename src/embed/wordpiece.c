/* wordpiece.c — see wordpiece.h. The pipeline, one code point at a time so
 * that a megabyte text costs only as much as its first max_ids pieces (and
 * the scan of a word that runs past 100 characters):
 *   1. special tokens ([CLS], [SEP], …) found in the raw bytes become their
 *      ids and end the word, as HF's added-token trie does;
 *   2. clean: NUL, U+FFFD (and invalid UTF-8), other C* characters are
 *      dropped; whitespace (Zs Zl Zp \t \n \r) ends the word;
 *   3. a CJK ideograph is a word of its own;
 *   4. lower-case (str.lower), strip accents (NFD minus Mn);
 *   5. punctuation is a word of its own;
 *   6. each word: longer than 100 characters → [UNK]; else greedy
 *      longest-match-first over the vocabulary, "##" for pieces after the
 *      first, [UNK] for the whole word when some position matches nothing.
 * The vocabulary is an open-addressing hash table of ids over one blob of
 * NUL-terminated pieces; it owns everything it points to. */
#include "embed/wordpiece.h"
#include "util/errmsg.h"

#include "embed/bert_chars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_BASIS 0xCBF29CE484222325ull
#define FNV_PRIME 0x100000001B3ull
#define VOCAB_FILE_MAX (64u << 20)
#define N_SPECIAL 5

struct wp_vocab {
    wp_options opt;
    bool strip;
    char *blob;             /* pieces, NUL-terminated, in id order */
    size_t *off;            /* off[id]: the piece's start in blob */
    size_t n;               /* ids */
    int32_t *slots;         /* hash table of ids, -1 = empty */
    size_t mask;            /* slots - 1 (a power of two minus one) */
    size_t max_piece;       /* longest piece, bytes */
    int32_t unk, cls, sep;
    const char *special[N_SPECIAL]; /* texts split out of raw input */
    size_t special_len[N_SPECIAL];
    int32_t special_id[N_SPECIAL];
};

void wp_options_default(wp_options *o)
{
    memset(o, 0, sizeof *o);
    o->lower = true;
    o->strip_accents = -1;
    o->chinese = true;
    snprintf(o->unk, sizeof o->unk, "[UNK]");
    snprintf(o->sep, sizeof o->sep, "[SEP]");
    snprintf(o->pad, sizeof o->pad, "[PAD]");
    snprintf(o->cls, sizeof o->cls, "[CLS]");
    snprintf(o->mask, sizeof o->mask, "[MASK]");
}

/* ---- the table ---------------------------------------------------------- */

/* FNV-1a of "##" (when cont) followed by s[0..len). */
static uint64_t piece_hash(bool cont, const unsigned char *s, size_t len)
{
    uint64_t h = FNV_BASIS;
    if (cont)
        h = ((h ^ '#') * FNV_PRIME ^ '#') * FNV_PRIME;
    for (size_t i = 0; i < len; i++)
        h = (h ^ s[i]) * FNV_PRIME;
    return h ^ (h >> 29);
}

static bool piece_equal(const char *piece, bool cont, const unsigned char *s, size_t len)
{
    if (cont) {
        if (piece[0] != '#' || piece[1] != '#')
            return false;
        piece += 2;
    }
    return strncmp(piece, (const char *)s, len) == 0 && piece[len] == '\0';
}

static int32_t lookup(const wp_vocab *v, bool cont, const unsigned char *s, size_t len)
{
    if (len + (cont ? 2 : 0) > v->max_piece)
        return -1;
    size_t i = (size_t)piece_hash(cont, s, len) & v->mask;
    for (;;) {
        int32_t id = v->slots[i];
        if (id < 0)
            return -1;
        if (piece_equal(v->blob + v->off[id], cont, s, len))
            return id;
        i = (i + 1) & v->mask;
    }
}

/* Inserts id (its piece already in the blob); a duplicate piece now maps
 * to the later id. */
static void table_put(wp_vocab *v, int32_t id)
{
    const char *p = v->blob + v->off[id];
    size_t len = strlen(p);
    size_t i = (size_t)piece_hash(false, (const unsigned char *)p, len) & v->mask;
    while (v->slots[i] >= 0) {
        if (strcmp(v->blob + v->off[v->slots[i]], p) == 0)
            break;
        i = (i + 1) & v->mask;
    }
    v->slots[i] = id;
}

int32_t wp_id(const wp_vocab *v, const char *piece, size_t len)
{
    return lookup(v, false, (const unsigned char *)piece, len);
}

const char *wp_piece(const wp_vocab *v, int32_t id)
{
    if (id < 0 || (size_t)id >= v->n)
        return NULL;
    return v->blob + v->off[id];
}

size_t wp_size(const wp_vocab *v)
{
    return v->n;
}

/* ---- loading ------------------------------------------------------------- */

static int count_lines(const char *buf, size_t len, size_t *n, char *err, size_t errsz)
{
    size_t lines = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\n')
            continue;
        if (i == len && start == len)
            break;                  /* no text after the last newline */
        if (i - start > WP_MAX_PIECE_BYTES) {
            set_err(err, errsz, "vocab.txt: a piece is longer than %s bytes", "256");
            return -1;
        }
        if (memchr(buf + start, '\0', i - start)) {
            set_err(err, errsz, "vocab.txt: %s", "NUL byte in a piece");
            return -1;
        }
        if (++lines > WP_MAX_VOCAB) {
            set_err(err, errsz, "vocab.txt: more than %s pieces", "1000000");
            return -1;
        }
        start = i + 1;
    }
    *n = lines;
    return 0;
}

static void fill_pieces(wp_vocab *v, const char *buf, size_t len)
{
    size_t start = 0, id = 0, at = 0;
    for (size_t i = 0; i <= len && id < v->n; i++) {
        if (i < len && buf[i] != '\n')
            continue;
        size_t plen = i - start;
        memcpy(v->blob + at, buf + start, plen);
        v->blob[at + plen] = '\0';
        v->off[id++] = at;
        if (plen > v->max_piece)
            v->max_piece = plen;
        at += plen + 1;
        start = i + 1;
    }
}

static int32_t required(const wp_vocab *v, const char *tok, const char *what, char *err,
                        size_t errsz)
{
    int32_t id = tok[0] ? wp_id(v, tok, strlen(tok)) : -1;
    if (id < 0)
        set_err(err, errsz, "vocab.txt has no %s token", what);
    return id;
}

static int set_specials(wp_vocab *v, char *err, size_t errsz)
{
    const char *texts[N_SPECIAL] = {v->opt.unk, v->opt.sep, v->opt.pad, v->opt.cls, v->opt.mask};
    if ((v->unk = required(v, v->opt.unk, "unknown ([UNK])", err, errsz)) < 0 ||
        (v->cls = required(v, v->opt.cls, "[CLS]", err, errsz)) < 0 ||
        (v->sep = required(v, v->opt.sep, "[SEP]", err, errsz)) < 0)
        return -1;
    for (size_t k = 0; k < N_SPECIAL; k++) {
        size_t len = strlen(texts[k]);
        int32_t id = len ? wp_id(v, texts[k], len) : -1;
        v->special[k] = texts[k];
        v->special_len[k] = len;
        v->special_id[k] = id >= 0 ? id : v->unk;
    }
    return 0;
}

wp_vocab *wp_vocab_parse(const char *buf, size_t len, const wp_options *o, char *err,
                         size_t errsz)
{
    wp_vocab *v = calloc(1, sizeof *v);
    size_t n = 0, slots = 16;
    if (!v) {
        set_err(err, errsz, "%s", "out of memory");
        return NULL;
    }
    v->opt = *o;
    v->strip = o->strip_accents < 0 ? o->lower : o->strip_accents > 0;
    if (count_lines(buf, len, &n, err, errsz) != 0)
        goto fail;
    if (n == 0) {
        set_err(err, errsz, "%s", "vocab.txt is empty");
        goto fail;
    }
    while (slots < 2 * n)
        slots *= 2;
    v->n = n;
    v->mask = slots - 1;
    v->blob = malloc(len + 1);
    v->off = malloc(n * sizeof *v->off);
    v->slots = malloc(slots * sizeof *v->slots);
    if (!v->blob || !v->off || !v->slots) {
        set_err(err, errsz, "%s", "out of memory");
        goto fail;
    }
    memset(v->slots, 0xFF, slots * sizeof *v->slots);
    fill_pieces(v, buf, len);
    for (size_t id = 0; id < n; id++)
        table_put(v, (int32_t)id);
    if (set_specials(v, err, errsz) != 0)
        goto fail;
    return v;
fail:
    wp_free(v);
    return NULL;
}

wp_vocab *wp_vocab_load(const char *path, const wp_options *o, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    wp_vocab *v = NULL;
    if (!f) {
        set_err(err, errsz, "cannot open %s", path);
        return NULL;
    }
    buf = malloc(VOCAB_FILE_MAX + 1);
    if (!buf) {
        set_err(err, errsz, "%s", "out of memory");
        goto out;
    }
    len = fread(buf, 1, VOCAB_FILE_MAX + 1, f);
    if (ferror(f) || len > VOCAB_FILE_MAX) {
        set_err(err, errsz, "%s: unreadable or larger than 64 MiB", path);
        goto out;
    }
    v = wp_vocab_parse(buf, len, o, err, errsz);
out:
    free(buf);
    fclose(f);
    return v;
}

void wp_free(wp_vocab *v)
{
    if (!v)
        return;
    free(v->blob);
    free(v->off);
    free(v->slots);
    free(v);
}

/* ---- tokenizing ---------------------------------------------------------- */

typedef struct wp_run {
    const wp_vocab *v;
    int32_t *ids;           /* pieces go here (after [CLS]) */
    size_t n, cap;
    unsigned char word[WP_MAX_WORD_CHARS * 4];
    uint16_t offs[WP_MAX_WORD_CHARS + 1];   /* byte offset of each character */
    size_t nchars;
    bool overflow;          /* the word is longer than WP_MAX_WORD_CHARS */
} wp_run;

static void emit(wp_run *r, int32_t id)
{
    if (r->n < r->cap)
        r->ids[r->n++] = id;
}

/* Greedy longest-match-first over the buffered word. */
static void wordpiece(wp_run *r)
{
    int32_t pieces[WP_MAX_WORD_CHARS];
    size_t np = 0, start = 0;
    while (start < r->nchars) {
        size_t end = r->nchars;
        int32_t id = -1;
        for (; end > start; end--) {
            id = lookup(r->v, start > 0, r->word + r->offs[start],
                        (size_t)(r->offs[end] - r->offs[start]));
            if (id >= 0)
                break;
        }
        if (id < 0) {
            emit(r, r->v->unk);
            return;
        }
        pieces[np++] = id;
        start = end;
    }
    for (size_t k = 0; k < np; k++)
        emit(r, pieces[k]);
}

static void flush(wp_run *r)
{
    if (r->overflow)
        emit(r, r->v->unk);
    else if (r->nchars > 0)
        wordpiece(r);
    r->nchars = 0;
    r->overflow = false;
    r->offs[0] = 0;
}

static void push(wp_run *r, uint32_t cp)
{
    if (r->nchars >= WP_MAX_WORD_CHARS) {
        r->overflow = true;
        return;
    }
    size_t at = r->offs[r->nchars];
    at += bc_utf8_put(cp, r->word + at);
    r->offs[++r->nchars] = (uint16_t)at;
}

/* A character after lower-casing and accent stripping. */
static void put_char(wp_run *r, uint32_t cp)
{
    if (bc_class_of(cp) == BC_PUNCT) {
        flush(r);
        push(r, cp);
        flush(r);
    } else {
        push(r, cp);
    }
}

static void put_normalized(wp_run *r, uint32_t cp)
{
    uint32_t extra = 0, out[3];
    if (r->v->opt.lower)
        cp = bc_lower(cp, &extra);
    if (!r->v->strip) {
        put_char(r, cp);
        if (extra)
            put_char(r, extra);
        return;
    }
    size_t k = bc_strip_accents(cp, out);
    for (size_t j = 0; j < k; j++)
        put_char(r, out[j]);
    /* extra is U+0307, a mark: stripped. */
}

/* The longest special token at s, or -1. */
static int match_special(const wp_vocab *v, const char *s, size_t len, size_t *mlen)
{
    int best = -1;
    *mlen = 0;
    for (int k = 0; k < N_SPECIAL; k++) {
        size_t l = v->special_len[k];
        if (l > *mlen && l <= len && memcmp(s, v->special[k], l) == 0) {
            best = k;
            *mlen = l;
        }
    }
    return best;
}

size_t wp_encode(const wp_vocab *v, const char *text, size_t len, int32_t *ids,
                 size_t max_ids)
{
    static wp_run zero;
    const unsigned char *s = (const unsigned char *)text;
    wp_run r = zero;
    size_t i = 0, mlen;
    if (max_ids < 2)
        return 0;
    r.v = v;
    r.ids = ids + 1;
    r.cap = max_ids - 2;
    while (i < len && r.n < r.cap) {
        int k;
        if (s[i] == '[' && (k = match_special(v, text + i, len - i, &mlen)) >= 0) {
            flush(&r);
            emit(&r, v->special_id[k]);
            i += mlen;
            continue;
        }
        uint32_t cp = bc_utf8_next(s, len, &i);
        enum bc_class c = bc_class_of(cp);
        if (cp == 0 || cp == BC_INVALID || c == BC_CONTROL)
            continue;
        if (c == BC_SPACE) {
            flush(&r);
        } else if (v->opt.chinese && bc_is_cjk(cp)) {
            flush(&r);
            put_normalized(&r, cp);
            flush(&r);
        } else {
            put_normalized(&r, cp);
        }
    }
    flush(&r);
    ids[0] = v->cls;
    ids[r.n + 1] = v->sep;
    return r.n + 2;
}
