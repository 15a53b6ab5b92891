/* select.c — see select.h. */
#include "embed/select.h"

#include "config.h"

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
    snprintf(err, errsz, "CHIMERA_EMBEDDER must be hash, remote or minilm (got \"%s\")", kind);
    return NULL;
}
