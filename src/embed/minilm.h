/* minilm.h — the "minilm" embedder: a local BERT-family sentence-transformer
 * with mean pooling (all-MiniLM-L6-v2 and its kind) read from a
 * sentence-transformers folder (CHIMERA_EMBED_MODEL_DIR):
 *   config.json             BERT shape (hidden_size, num_hidden_layers, …)
 *   model.safetensors       weights, F32 / F16 / BF16
 *   vocab.txt               WordPiece vocabulary
 *   tokenizer_config.json   do_lower_case, strip_accents, … (optional)
 *   sentence_bert_config.json  max_seq_length (optional)
 *   modules.json, 1_Pooling/config.json  must say mean pooling (optional)
 * Named "minilm:<folder name>", dimension = hidden_size. */
#ifndef CHIMERA_EMBED_MINILM_H
#define CHIMERA_EMBED_MINILM_H

#include "embed/embedder.h"

/* Loads the folder; NULL with the reason in err. Caller owns the result
 * (emb_free). */
embedder *emb_minilm_new(const char *dir, char *err, size_t errsz);

/* The number of tokens texts are truncated to ([CLS] and [SEP] included). */
size_t emb_minilm_max_len(const embedder *e);

#endif
