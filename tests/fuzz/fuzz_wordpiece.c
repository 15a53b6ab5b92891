/* fuzz_wordpiece.c — libFuzzer target for src/embed/wordpiece.c (and
 * bert_chars.c): the first byte picks options and the id budget; the rest
 * is tokenized with a fixed vocabulary (pieces, "##" continuations,
 * accented, CJK and punctuation entries), and, on odd first bytes, parsed
 * as a vocab.txt too. Ids must stay in range, [CLS] first, [SEP] last.
 *   tests/fuzz/run-embed.sh [SECONDS]   builds with clang -fsanitize=fuzzer,address
 * Without libFuzzer, fuzz_main.c runs it over files (a corpus). */
#include "embed/wordpiece.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char VOCAB[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nun\n##aff\n##able\nhello\n##s\n##a\na\nb\n##b\n"
    "caf\xc3\xa9\n##\xc3\xa9\ncafe\n\xe4\xb8\xad\n\xe5\x9b\xbd\n,\n.\n!\n[\n]\n\xe1\x84\x92\n"
    "##\xe1\x85\xa1\n\xce\xb1\n##\xce\xb2\n##\n#\n\n";

static wp_vocab *vocab_for(int variant)
{
    static wp_vocab *v[4];
    if (!v[variant]) {
        wp_options o;
        char err[128];
        wp_options_default(&o);
        o.lower = !(variant & 1);
        o.chinese = !(variant & 2);
        v[variant] = wp_vocab_parse(VOCAB, sizeof VOCAB - 1, &o, err, sizeof err);
        if (!v[variant])
            abort();
    }
    return v[variant];
}

static void check(const wp_vocab *v, const int32_t *ids, size_t n, size_t max)
{
    if (n < 2 || n > max || ids[0] != wp_id(v, "[CLS]", 5) || ids[n - 1] != wp_id(v, "[SEP]", 5))
        abort();
    for (size_t i = 0; i < n; i++)
        if (!wp_piece(v, ids[i]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t ids[300];
    if (size < 1)
        return 0;
    size_t max = 2 + data[0] % 200;
    const wp_vocab *v = vocab_for(data[0] >> 6);
    const char *text = (const char *)data + 1;
    size_t n = wp_encode(v, text, size - 1, ids, max);
    check(v, ids, n, max);
    if (data[0] & 1) {
        wp_options o;
        char err[128];
        wp_options_default(&o);
        wp_vocab *own = wp_vocab_parse(text, size - 1, &o, err, sizeof err);
        if (own) {
            n = wp_encode(own, text, size - 1, ids, max);
            check(own, ids, n, max);
            for (size_t i = 0; i < wp_size(own); i++)
                if (!wp_piece(own, (int32_t)i))
                    abort();
            wp_free(own);
        }
    }
    return 0;
}
