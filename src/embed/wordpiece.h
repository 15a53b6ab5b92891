/* wordpiece.h — BERT's tokenizer: text to token ids the way HuggingFace's
 * BertTokenizer does it (special tokens split out of the raw text, then
 * BasicTokenizer, then greedy longest-match WordPiece), [CLS] … [SEP],
 * truncated to a maximum length. A vocabulary is built once and then only
 * read: wp_encode is thread-safe. */
#ifndef CHIMERA_EMBED_WORDPIECE_H
#define CHIMERA_EMBED_WORDPIECE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_MAX_WORD_CHARS 100   /* longer words become [UNK] */
#define WP_MAX_PIECE_BYTES 256  /* longest vocabulary entry accepted */
#define WP_MAX_VOCAB 1000000    /* entries */
#define WP_SPECIAL_MAX 32       /* bytes of a special token's text */

typedef struct wp_options {
    bool lower;          /* do_lower_case */
    int strip_accents;   /* -1: as lower (HF's None), 0: never, 1: always */
    bool chinese;        /* tokenize_chinese_chars */
    /* Special tokens' texts: unk, sep, pad, cls, mask ("" = none). */
    char unk[WP_SPECIAL_MAX], sep[WP_SPECIAL_MAX], pad[WP_SPECIAL_MAX],
        cls[WP_SPECIAL_MAX], mask[WP_SPECIAL_MAX];
} wp_options;

typedef struct wp_vocab wp_vocab;

/* BERT's defaults: lower-case, strip accents, split CJK, [UNK] [SEP] [PAD]
 * [CLS] [MASK]. */
void wp_options_default(wp_options *o);

/* Builds a vocabulary from vocab.txt's bytes (one piece per line, id =
 * line number, "\n" ends a line as in HF's load_vocab; a later duplicate
 * wins). Fails when the unk, cls or sep token is missing, a piece is too
 * long or there are too many. Caller owns the result (wp_free). */
wp_vocab *wp_vocab_parse(const char *buf, size_t len, const wp_options *o, char *err,
                         size_t errsz);
wp_vocab *wp_vocab_load(const char *path, const wp_options *o, char *err, size_t errsz);
void wp_free(wp_vocab *v);

size_t wp_size(const wp_vocab *v);
/* The id of a piece ("##" prefix for continuations), or -1. */
int32_t wp_id(const wp_vocab *v, const char *piece, size_t len);
/* The text of an id (NUL-terminated, owned by v), or NULL. */
const char *wp_piece(const wp_vocab *v, int32_t id);

/* Tokenizes text[0..len) into ids: [CLS], at most max_ids - 2 pieces,
 * [SEP]. Stops reading the text once max_ids - 2 pieces are out. Invalid
 * UTF-8 bytes count as U+FFFD (dropped). Returns the number of ids
 * (>= 2), or 0 when max_ids < 2. Never fails otherwise; no allocation. */
size_t wp_encode(const wp_vocab *v, const char *text, size_t len, int32_t *ids,
                 size_t max_ids);

#endif
