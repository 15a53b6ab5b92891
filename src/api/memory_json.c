/* memory_json.c — the Memory shape (API.md §4 with D1): the stored vector
 * rounded to 4 decimals (null when none), and metadata that names the
 * embedder and dimension that made it. */
#include "api/memory_json.h"

#include "api/serialize.h"

#include <math.h>
#include <stdio.h>

json_t *memory_vector_json(const float *v, size_t dim)
{
    if (!v)
        return json_null();
    json_t *a = json_array();
    for (size_t i = 0; i < dim; i++)
        json_array_append_new(a, json_real(round((double)v[i] * 10000.0) / 10000.0));
    return a;
}

static json_t *tags_json(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(v)) {
        json_decref(v);
        v = json_array();
    }
    return v;
}

json_t *memory_metadata_json(const memory_row *m)
{
    json_t *meta = json_from_text(m->metadata);
    if (m->embedding && m->model[0]) {
        char tag[128];
        snprintf(tag, sizeof tag, "%s/%zu", m->model, m->dim);
        json_object_set_new(meta, "embeddingModel", json_string(tag));
        json_object_set_new(meta, "embedding_model", json_string(tag));
    }
    return meta;
}

json_t *memory_json(const memory_row *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:I,s:o,s:o}",
                     "id", m->id, "workspaceId", m->workspace_id, "title", m->title,
                     "content", m->content, "snippet", m->snippet, "tags", tags_json(m->tags),
                     "embedding", memory_vector_json(m->embedding, m->dim),
                     "metadata", memory_metadata_json(m), "version", (json_int_t)m->version,
                     "createdAt", json_ts(m->created_at), "updatedAt", json_ts(m->updated_at));
}
