/* embedder.c — what every embedder shares; see embedder.h. */
#include "embed/embedder.h"

#include "util/errmsg.h"

int emb_check_args(const char *const *texts, size_t n, const float *out, char *err,
                   size_t errsz)
{
    if (n > 0 && (!texts || !out)) {
        set_err(err, errsz, "no texts or no output");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) {
            set_err(err, errsz, "text is NULL");
            return -1;
        }
    return 0;
}

int emb_one(const embedder *e, const char *text, float *out, char *err, size_t errsz)
{
    return e->embed(e, &text, 1, out, err, errsz);
}

void emb_free(embedder *e)
{
    if (e && e->destroy)
        e->destroy(e);
}
