/* embedder.c — what every embedder shares; see embedder.h. */
#include "embed/embedder.h"

int emb_one(const embedder *e, const char *text, float *out, char *err, size_t errsz)
{
    return e->embed(e, &text, 1, out, err, errsz);
}

void emb_free(embedder *e)
{
    if (e && e->destroy)
        e->destroy(e);
}
