/* memory_json.c — the Memory shape (API.md §4 with D1): the stored vector
 * rounded to 4 decimals (null when none), and metadata that names the
 * embedder and dimension that made it. */
#include "api/shapes/memory_json.h"

#include "api/shapes/serialize.h"
#include "http/response.h"
#include "util/oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stored metadata is jansson's compact text of an object (every write
 * path stores json_dumps_whole(…, JSON_COMPACT), and jansson keeps key order),
 * so the two keys are appended as text: the same bytes as parsing,
 * setting and dumping it again, without the parse. 0 when the text does
 * not allow it (already holds one of the keys, or is not an object). */
static int append_model(jsonw *w, const char *meta, const char *tag)
{
    size_t n = meta ? strlen(meta) : 0;
    if (n < 2 || meta[0] != '{' || meta[n - 1] != '}' || strstr(meta, "\"embeddingModel\"") ||
        strstr(meta, "\"embedding_model\""))
        return 0;
    buf b = BUF_INIT(0);
    int rc = buf_append(&b, meta, n - 1);
    rc |= buf_puts(&b, n > 2 ? ",\"embeddingModel\":\"" : "\"embeddingModel\":\"");
    rc |= buf_json_str(&b, tag);
    rc |= buf_puts(&b, "\",\"embedding_model\":\"");
    rc |= buf_json_str(&b, tag);
    rc |= buf_puts(&b, "\"}");
    if (rc == 0)
        jw_raw(w, b.p);
    buf_free(&b);
    return rc == 0;
}

/* Stored metadata plus embeddingModel/embedding_model when a vector exists. */
static void write_metadata(jsonw *w, const memory_row *m)
{
    if (!m->embedding || !m->model[0]) {
        jw_raw(w, m->metadata && m->metadata[0] == '{' ? m->metadata : "{}");
        return;
    }
    char tag[128];
    snprintf(tag, sizeof tag, "%s/%zu", m->model, m->dim);
    if (append_model(w, m->metadata, tag))
        return;
    json_t *meta = json_from_text(m->metadata);
    char *text = meta && !json_object_set_new(meta, "embeddingModel", json_string(tag)) &&
                         !json_object_set_new(meta, "embedding_model", json_string(tag))
                     ? json_dumps_whole(meta, JSON_COMPACT) : NULL;
    if (text)
        jw_raw(w, text);
    else
        jw_fail(w);
    free(text);
    json_decref(meta);
}

void write_memory(jsonw *w, const memory_row *m)
{
    jw_obj(w);
    jw_kstr(w, "id", m->id);
    jw_kstr(w, "workspaceId", m->workspace_id);
    jw_kstr(w, "title", m->title);
    jw_kstr(w, "content", m->content);
    jw_kstr(w, "snippet", m->snippet);
    jw_key(w, "tags");
    jw_raw(w, m->tags && m->tags[0] == '[' ? m->tags : "[]");
    jw_key(w, "embedding");
    if (m->embedding) {
        jw_arr(w);
        for (size_t i = 0; i < m->dim; i++)
            jw_fixed4(w, m->embedding[i]);
        jw_arr_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "metadata");
    write_metadata(w, m);
    jw_kint(w, "version", m->version);
    jw_key(w, "createdAt");
    jw_ts(w, m->created_at);
    jw_key(w, "updatedAt");
    jw_ts(w, m->updated_at);
    jw_obj_end(w);
}

char *memory_text(const memory_row *m)
{
    jsonw w;
    jw_init(&w);
    write_memory(&w, m);
    return jw_finish(&w);
}

void api_reply_memories(http_req *r, const memory_row *rows, const size_t *order, size_t n,
                        int64_t total)
{
    jsonw w;
    jw_list(&w, "memories");
    for (size_t i = 0; i < n; i++)
        write_memory(&w, &rows[order ? order[i] : i]);
    resp_data_text(r, 200, jw_list_end(&w, total));
}
