/* select.c — see select.h. */
#include "embed/select.h"

#include "config.h"
#include "embed/minilm.h"

#include <stdio.h>
#include <string.h>

embedder *emb_from_config(char *err, size_t errsz)
{
    const char *kind = cfg.embedder ? cfg.embedder : "hash";
    if (strcmp(kind, "hash") == 0) {
        embedder *e = emb_hash_new();
        if (!e)
            snprintf(err, errsz, "out of memory");
        return e;
    }
    if (strcmp(kind, "remote") == 0) {
        emb_remote_opts o = {
            .base = cfg.embed_url, .model = cfg.embed_model, .key = cfg.embed_key,
            .dim = cfg.embed_dims ? cfg.embed_dims : emb_remote_known_dim(cfg.embed_model),
            .send_dim = cfg.embed_dims > 0, .timeout_s = cfg.embed_timeout_s,
            .batch = (size_t)cfg.embed_batch,
        };
        return emb_remote_new(&o, err, errsz);
    }
    if (strcmp(kind, "minilm") == 0) {
        if (!cfg.embed_model_dir || !cfg.embed_model_dir[0]) {
            snprintf(err, errsz, "CHIMERA_EMBEDDER=minilm needs CHIMERA_EMBED_MODEL_DIR "
                                 "(a sentence-transformers model folder)");
            return NULL;
        }
        return emb_minilm_new(cfg.embed_model_dir, err, errsz);
    }
    snprintf(err, errsz, "CHIMERA_EMBEDDER must be hash, remote or minilm (got \"%s\")", kind);
    return NULL;
}
