/* embedding.c — see embedding.h. */
#include "api/embedding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static embedder *api_emb;

void api_set_embedder(embedder *e)
{
    api_emb = e;
}

const embedder *api_embedder(void)
{
    return api_emb;
}

void api_embed_memory(const char *title, const char *content, embedded_vec *ev)
{
    memset(ev, 0, sizeof *ev);
    size_t tl = strlen(title), cl = strlen(content);
    char *text = malloc(tl + cl + 2);
    float *vec = api_emb ? malloc(api_emb->dim * sizeof *vec) : NULL;
    if (!text || !vec) {
        snprintf(ev->err, sizeof ev->err, "%s", api_emb ? "out of memory" : "no embedder configured");
        free(text);
        free(vec);
        return;
    }
    memcpy(text, title, tl);
    text[tl] = '\n';
    memcpy(text + tl + 1, content, cl + 1);
    if (emb_one(api_emb, text, vec, ev->err, sizeof ev->err) == 0) {
        ev->vec = vec;
        ev->dim = api_emb->dim;
    } else {
        free(vec);
    }
    free(text);
}

void api_embed_apply(const embedded_vec *ev, json_t **meta, char **meta_text, memory_input *in)
{
    in->vec = ev->vec;
    in->dim = ev->dim;
    in->model = api_emb ? api_emb->name : "";
    in->clear_vec = ev->vec == NULL;
    bool had_error = *meta && json_object_get(*meta, "embeddingError");
    if (ev->vec && !had_error)
        return;
    if (!*meta)
        *meta = json_object();
    if (ev->vec)
        json_object_del(*meta, "embeddingError");
    else
        json_object_set_new(*meta, "embeddingError", json_string(ev->err));
    free(*meta_text);
    *meta_text = json_dumps(*meta, JSON_COMPACT);
    in->metadata = *meta_text;
}

void embedded_vec_free(embedded_vec *ev)
{
    free(ev->vec);
    ev->vec = NULL;
}
