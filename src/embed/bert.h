/* bert.h — a BERT encoder (HuggingFace BertModel's weights and maths) with
 * sentence-transformers' mean pooling and L2 normalisation on top: token ids
 * in, one unit vector per sequence out. Weights come from a safetensors
 * file (F32, F16 or BF16; names with or without the "bert." prefix) and are
 * read-only after bert_load, so one model serves all threads; each
 * bert_encode call allocates its own scratch. */
#ifndef CHIMERA_EMBED_BERT_H
#define CHIMERA_EMBED_BERT_H

#include <stddef.h>
#include <stdint.h>

typedef struct bert_config {
    size_t layers, hidden, heads, inter, vocab, max_pos, type_vocab;
    float eps;              /* layer_norm_eps */
} bert_config;

typedef struct bert_model bert_model;

/* Maps path and checks every tensor the config implies (names, shapes,
 * dtypes). NULL with the reason in err. Caller owns it (bert_free). */
bert_model *bert_load(const char *path, const bert_config *c, char *err, size_t errsz);
void bert_free(bert_model *m);
const bert_config *bert_cfg(const bert_model *m);

/* Encodes n sequences (ids[i][0..lens[i]), 1 <= lens[i] <= max_pos, ids
 * below vocab) into out (n × hidden floats, each row unit length). Returns
 * 0, or -1 with the reason in err. Thread-safe. */
int bert_encode(const bert_model *m, const int32_t *const *ids, const size_t *lens, size_t n,
                float *out, char *err, size_t errsz);

/* Threads of the matrix products (OpenBLAS); 0 leaves OpenBLAS's choice. */
void bert_set_threads(int n);

#endif
