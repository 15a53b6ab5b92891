/* memories.c — see memories.h. Vectors are stored as little-endian float32
 * blobs (this code assumes a little-endian host, checked at compile time). */
#include "store/memories.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/buf.h"
#include "util/ids.h"
#include "util/isotime.h"
#include "util/utf8.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "vectors are stored little-endian");

#define SNIPPET_CHARS 150
#define MEM_COLS \
    "id, workspace_id, title, content, snippet, tags, metadata, embedding, embedding_dim," \
    " embedding_model, version, created_at, updated_at"

void memory_row_free(memory_row *m)
{
    free(m->title);
    free(m->content);
    free(m->snippet);
    free(m->tags);
    free(m->metadata);
    free(m->embedding);
    memset(m, 0, sizeof *m);
}

void memory_rows_free(memory_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        memory_row_free(&rows[i]);
    free(rows);
}

char *memory_snippet(const char *content)
{
    size_t len = strlen(content), cut = utf8_prefix(content, len, SNIPPET_CHARS);
    char *s = malloc(cut + 4);
    if (!s)
        return NULL;
    memcpy(s, content, cut);
    memcpy(s + cut, cut < len ? "..." : "", cut < len ? 4 : 1);
    return s;
}

static void read_memory(db_stmt *st, memory_row *m)
{
    memset(m, 0, sizeof *m);
    COL_COPY(m->id, st, 0);
    COL_COPY(m->workspace_id, st, 1);
    m->title = col_dup_str(st, 2);
    m->content = col_dup_str(st, 3);
    m->snippet = col_dup_str(st, 4);
    m->tags = col_dup_str(st, 5);
    m->metadata = col_dup_str(st, 6);
    size_t bytes = 0;
    const void *blob = db_col_blob(st, 7, &bytes);
    size_t dim = (size_t)db_col_int(st, 8);
    if (blob && dim && bytes == dim * sizeof(float) && (m->embedding = malloc(bytes))) {
        memcpy(m->embedding, blob, bytes);
        m->dim = dim;
    }
    COL_COPY(m->model, st, 9);
    m->version = db_col_int(st, 10);
    m->created_at = db_col_int(st, 11);
    m->updated_at = db_col_int(st, 12);
}

/* Reads all rows of a bound statement into a growing array. */
static st_rc read_memories(db_stmt *st, memory_row **out, size_t *n)
{
    size_t cap = 0;
    db_rc rc;
    *out = NULL;
    *n = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            memory_row *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            *out = p;
        }
        read_memory(st, &(*out)[(*n)++]);
    }
    db_reset(st);
    if (rc != DB_DONE) {
        memory_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ST_DB_ERROR;
    }
    return ST_OK;
}

st_rc memory_get_on(db *d, const char *id, memory_row *out)
{
    db_stmt *st = db_prepare(d, "SELECT " MEM_COLS " FROM memories WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_memory(st, out);
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

st_rc memory_get(const char *id, memory_row *out)
{
    db *d = db_thread();
    return d ? memory_get_on(d, id, out) : ST_DB_ERROR;
}

/* Counters and generation move together with every memory change. */
static st_rc bump_workspace(db *d, const char *wid, int dmem, int demb)
{
    db_stmt *st = db_prepare(d, "UPDATE workspaces SET memory_count = memory_count + $2,"
                                " embedding_count = embedding_count + $3,"
                                " generation = generation + 1 WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, dmem);
    db_bind_int(st, 3, demb);
    return st_exec(st);
}

static st_rc replace_tags(db *d, const char *id, const memory_input *in)
{
    db_stmt *st = db_prepare(d, "DELETE FROM memory_tags WHERE memory_id = $1");
    if (st)
        db_bind_text(st, 1, id);
    st_rc res = st_exec(st);
    for (size_t i = 0; i < in->ntags && res == ST_OK; i++) {
        st = db_prepare(d, "INSERT INTO memory_tags (memory_id, tag) VALUES ($1, $2)"
                           " ON CONFLICT DO NOTHING");
        if (st) {
            db_bind_text(st, 1, id);
            db_bind_text(st, 2, in->tag_list[i]);
        }
        res = st_exec(st);
    }
    return res;
}

static void bind_vector(db_stmt *st, int idx, const memory_input *in)
{
    if (in->vec && in->dim)
        db_bind_blob(st, idx, in->vec, in->dim * sizeof(float));
    else
        db_bind_null(st, idx);
}

static st_rc insert_memory(db *d, const char *id, const char *wid, const memory_input *in,
                           const char *snippet, int64_t now)
{
    db_stmt *st = db_prepare(d,
        "INSERT INTO memories (id, workspace_id, title, content, snippet, tags, metadata,"
        " embedding, embedding_dim, embedding_model, version, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, wid);
    db_bind_text(st, 3, in->title);
    db_bind_text(st, 4, in->content);
    db_bind_text(st, 5, snippet);
    db_bind_text(st, 6, in->tags ? in->tags : "[]");
    db_bind_text(st, 7, in->metadata ? in->metadata : "{}");
    bind_vector(st, 8, in);
    if (in->vec && in->dim) {
        db_bind_int(st, 9, (int64_t)in->dim);
        db_bind_text(st, 10, in->model);
    } else {
        db_bind_null(st, 9);
        db_bind_null(st, 10);
    }
    db_bind_int(st, 11, now);
    return st_exec(st);
}

st_rc memory_insert_on(db *d, const char *wid, const memory_input *in, bool activity,
                       char *id, size_t idsz)
{
    char msg[1400];     /* titles: 255 characters of up to 4 bytes */
    int64_t now = time_now_us();
    char *snippet = memory_snippet(in->content);
    if (!snippet)
        return ST_DB_ERROR;
    id_prefixed("memory", id, idsz);
    st_rc res = insert_memory(d, id, wid, in, snippet, now);
    free(snippet);
    if (res == ST_OK)
        res = replace_tags(d, id, in);
    if (res == ST_OK)
        res = bump_workspace(d, wid, 1, in->vec && in->dim ? 1 : 0);
    if (res == ST_OK && activity) {
        snprintf(msg, sizeof msg, "Memory '%s' created", in->title);
        res = activity_add(d, wid, "memory_created", msg,
                           json_pack("{s:s,s:s}", "memoryId", id, "memoryTitle", in->title), now);
    }
    return res;
}

st_rc memory_create(const char *wid, const memory_input *in, memory_row *out)
{
    db *d = db_thread();
    char id[ID_MAX];
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = memory_insert_on(d, wid, in, true, id, sizeof id);
    if (res == ST_OK)
        res = db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
    else
        db_rollback(d);
    return res == ST_OK ? memory_get_on(d, id, out) : res;
}

static st_rc update_row(db *d, const char *id, const memory_input *in, const char *snippet,
                        int64_t now)
{
    db_stmt *st = db_prepare(d,
        "UPDATE memories SET title = COALESCE($2, title), content = COALESCE($3, content),"
        " snippet = COALESCE($4, snippet), tags = COALESCE($5, tags),"
        " metadata = COALESCE($6, metadata),"
        " embedding = CASE WHEN $10 = 1 THEN $7 ELSE embedding END,"
        " embedding_dim = CASE WHEN $10 = 1 THEN $8 ELSE embedding_dim END,"
        " embedding_model = CASE WHEN $10 = 1 THEN $9 ELSE embedding_model END,"
        " version = version + 1, updated_at = $11 WHERE id = $1");
    if (!st)
        return ST_DB_ERROR;
    bool set_vec = (in->vec && in->dim) || in->clear_vec;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, in->title);
    db_bind_text(st, 3, in->content);
    db_bind_text(st, 4, snippet);
    db_bind_text(st, 5, in->tags);
    db_bind_text(st, 6, in->metadata);
    bind_vector(st, 7, in);
    if (in->vec && in->dim) {
        db_bind_int(st, 8, (int64_t)in->dim);
        db_bind_text(st, 9, in->model);
    } else {
        db_bind_null(st, 8);
        db_bind_null(st, 9);
    }
    db_bind_int(st, 10, set_vec);
    db_bind_int(st, 11, now);
    return st_exec(st);
}

st_rc memory_update(const char *id, const memory_input *in, memory_row *out)
{
    db *d = db_thread();
    memory_row old = { 0 };
    char *snippet = in->content ? memory_snippet(in->content) : NULL;
    if (!d || (in->content && !snippet) || db_begin(d) != 0) {
        free(snippet);
        return ST_DB_ERROR;
    }
    st_rc res = memory_get_on(d, id, &old);
    if (res == ST_OK)
        res = update_row(d, id, in, snippet, time_now_us());
    if (res == ST_OK && in->tag_list)
        res = replace_tags(d, id, in);
    if (res == ST_OK) {
        int had = old.embedding != NULL;
        int has = (in->vec && in->dim) ? 1 : in->clear_vec ? 0 : had;
        res = bump_workspace(d, old.workspace_id, 0, has - had);
    }
    free(snippet);
    memory_row_free(&old);
    if (res == ST_OK)
        res = db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
    else
        db_rollback(d);
    return res == ST_OK ? memory_get_on(d, id, out) : res;
}

st_rc memory_delete(const char *id)
{
    db *d = db_thread();
    memory_row old = { 0 };
    if (!d || db_begin(d) != 0)
        return ST_DB_ERROR;
    st_rc res = memory_get_on(d, id, &old);
    if (res == ST_OK) {
        db_stmt *st = db_prepare(d, "DELETE FROM memories WHERE id = $1");
        if (st)
            db_bind_text(st, 1, id);
        res = st_exec(st);
    }
    if (res == ST_OK)
        res = bump_workspace(d, old.workspace_id, -1, old.embedding ? -1 : 0);
    memory_row_free(&old);
    if (res != ST_OK) {
        db_rollback(d);
        return res;
    }
    return db_commit(d) == 0 ? ST_OK : ST_DB_ERROR;
}

/* LIKE pattern for a case-insensitive substring, wildcards escaped. */
static char *like_pattern(const char *s)
{
    buf b = BUF_INIT(0);
    buf_putc(&b, '%');
    for (const char *p = s; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            buf_putc(&b, '\\');
        buf_putc(&b, *p);
    }
    buf_putc(&b, '%');
    return buf_steal(&b);
}

#define MEM_MATCH \
    " WHERE workspace_id = $1 AND (CAST($2 AS TEXT) IS NULL" \
    " OR LOWER(title) LIKE LOWER($2) ESCAPE '\\'" \
    " OR LOWER(content) LIKE LOWER($2) ESCAPE '\\')"

st_rc memory_list(const char *wid, const char *search, memory_sort sort, page pg,
                  memory_row **out, size_t *n, int64_t *total)
{
    static const char *const sql[] = {
        [SORT_RECENT] = "SELECT " MEM_COLS " FROM memories" MEM_MATCH
                        " ORDER BY updated_at DESC, id LIMIT $3 OFFSET $4",
        [SORT_TITLE] = "SELECT " MEM_COLS " FROM memories" MEM_MATCH
                       " ORDER BY title, id LIMIT $3 OFFSET $4",
        [SORT_CREATED] = "SELECT " MEM_COLS " FROM memories" MEM_MATCH
                         " ORDER BY created_at DESC, id LIMIT $3 OFFSET $4",
    };
    char *pattern = search ? like_pattern(search) : NULL;
    db_stmt *st = db_prepare(db_thread(), sql[sort]);
    if (!st) {
        free(pattern);
        return ST_DB_ERROR;
    }
    db_bind_text(st, 1, wid);
    db_bind_text(st, 2, pattern);
    db_bind_int(st, 3, pg.limit > 0 ? pg.limit : INT64_MAX);
    db_bind_int(st, 4, pg.offset);
    st_rc res = read_memories(st, out, n);
    *total = (int64_t)*n;
    if (res == ST_OK && (pg.limit > 0 || pg.offset > 0)) {
        st = db_prepare(db_thread(), "SELECT COUNT(*) FROM memories" MEM_MATCH);
        if (st) {
            db_bind_text(st, 1, wid);
            db_bind_text(st, 2, pattern);
            res = db_step(st) == DB_ROW ? ST_OK : ST_DB_ERROR;
            *total = db_col_int(st, 0);
            db_reset(st);
        } else {
            res = ST_DB_ERROR;
        }
        if (res != ST_OK) {
            memory_rows_free(*out, *n);
            *out = NULL;
            *n = 0;
        }
    }
    free(pattern);
    return res;
}

st_rc memory_recent(const char *wid, size_t k, memory_row **out, size_t *n)
{
    db_stmt *st = db_prepare(db_thread(), "SELECT " MEM_COLS " FROM memories WHERE"
                             " workspace_id = $1 ORDER BY updated_at DESC, id LIMIT $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_int(st, 2, (int64_t)k);
    return read_memories(st, out, n);
}

st_rc memory_generation(const char *wid, int64_t *gen)
{
    return st_count("SELECT generation FROM workspaces WHERE id = $1", wid, gen);
}

st_rc memory_vectors(const char *wid, const char *model, size_t dim,
                     int (*visit)(void *ctx, const char *id, const void *vec), void *ctx,
                     int64_t *pending)
{
    db_stmt *st = db_prepare(db_thread(),
        "SELECT id, embedding FROM memories WHERE workspace_id = $1 AND embedding_model = $2"
        " AND embedding_dim = $3 AND embedding IS NOT NULL ORDER BY created_at, id");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, wid);
    db_bind_text(st, 2, model);
    db_bind_int(st, 3, (int64_t)dim);
    db_rc rc;
    int64_t found = 0;
    int stop = 0;
    while (!stop && (rc = db_step(st)) == DB_ROW) {
        size_t bytes = 0;
        const void *v = db_col_blob(st, 1, &bytes);
        if (bytes != dim * sizeof(float))
            continue;
        stop = visit(ctx, db_col_text(st, 0), v) != 0;
        found++;
    }
    db_reset(st);
    if (stop || rc != DB_DONE)
        return ST_DB_ERROR;
    int64_t all = 0;
    st_rc res = st_count("SELECT memory_count FROM workspaces WHERE id = $1", wid, &all);
    *pending = all - found;
    return res;
}
