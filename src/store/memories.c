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
/* Generations of tombstones kept per workspace: an index further behind
 * than this reloads the workspace in full. */
#define TOMB_KEEP 4096
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
    ST_FREE_ROWS(rows, n, memory_row_free);
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

static bool read_memory(db_stmt *st, void *row)
{
    memory_row *m = row;
    memset(m, 0, sizeof *m);
    COL_COPY(m->id, st, 0);
    COL_COPY(m->workspace_id, st, 1);
    COL_COPY(m->model, st, 9);
    m->version = db_col_int(st, 10);
    m->created_at = db_col_int(st, 11);
    m->updated_at = db_col_int(st, 12);
    if (!col_dup_str(st, 2, &m->title) || !col_dup_str(st, 3, &m->content) ||
        !col_dup_str(st, 4, &m->snippet) || !col_dup_str(st, 5, &m->tags) ||
        !col_dup_str(st, 6, &m->metadata))
        goto fail;
    size_t bytes = 0;
    const void *blob = db_col_blob(st, 7, &bytes);
    size_t dim = (size_t)db_col_int(st, 8);
    if (!blob && dim && !db_col_null(st, 7))
        goto fail;          /* the engine could not decode it (out of memory) */
    if (blob && dim && bytes == dim * sizeof(float)) {
        if (!(m->embedding = malloc(bytes)))
            goto fail;      /* not "no vector": that would be stored back as such */
        memcpy(m->embedding, blob, bytes);
        m->dim = dim;
    }
    return true;
fail:
    memory_row_free(m);
    return false;
}

/* Reads all rows of a bound statement (NULL: an error) into *out. */
static st_rc read_memories(db_stmt *st, memory_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st, sizeof **out, read_memory, out, n);
    if (res != ST_OK)
        ST_DROP_ROWS(memory_rows_free, out, n);
    return res;
}

st_rc memory_get_on(db *d, const char *id, memory_row *out)
{
    return st_one(st_prep(d, "SELECT " MEM_COLS " FROM memories WHERE id = $1", ST_T(id)),
                  read_memory, out);
}

st_rc memory_get(const char *id, memory_row *out)
{
    return memory_get_on(db_thread(), id, out);
}

static bool read_generation(db_stmt *st, void *row)
{
    *(int64_t *)row = db_col_int(st, 0);
    return true;
}

/* Counters and generation move together with every memory change. Runs
 * first in each memory transaction: the update locks the workspace row (on
 * PostgreSQL; SQLite has one writer anyway), so generations are handed out
 * in commit order. *gen is the new generation, which the changed memory
 * row (change_seq) or its tombstone records. */
static st_rc bump_workspace(db *d, const char *wid, int dmem, int demb, int64_t *gen)
{
    *gen = 0;
    return st_one(st_prep(d, "UPDATE workspaces SET memory_count = memory_count + $2,"
                             " embedding_count = embedding_count + $3,"
                             " generation = generation + 1, stamp_mems = stamp_mems + 1,"
                             /* a deletion drops its injections too */
                             " stamp_convs = stamp_convs + CASE WHEN $2 < 0 THEN 1 ELSE 0 END"
                             " WHERE id = $1"
                             " RETURNING generation", ST_T(wid), ST_I(dmem), ST_I(demb)),
                  read_generation, gen);
}

/* Records the deletion of memory id at generation gen, so that indexes on
 * other nodes drop it without a full load, and prunes the workspace's
 * tombstones older than TOMB_KEEP generations; tombstone_floor then says
 * that an index older than it must load in full. */
static st_rc add_tombstone(db *d, const char *wid, const char *id, int64_t gen)
{
    st_rc res = st_run(d, "INSERT INTO memory_tombstones (workspace_id, seq, memory_id,"
                          " deleted_at) VALUES ($1, $2, $3, $4)",
                       ST_T(wid), ST_I(gen), ST_T(id), ST_I(time_now_us()));
    if (res != ST_OK || gen <= TOMB_KEEP)
        return res;
    res = st_change(d, "DELETE FROM memory_tombstones WHERE workspace_id = $1 AND seq <= $2",
                    ST_T(wid), ST_I(gen - TOMB_KEEP));
    if (res != ST_OK)
        return res == ST_NOT_FOUND ? ST_OK : res;     /* nothing to prune */
    return st_run(d, "UPDATE workspaces SET tombstone_floor = $2"
                     " WHERE id = $1 AND tombstone_floor < $2", ST_T(wid), ST_I(gen - TOMB_KEEP));
}

/* The tags table rows of memory id (a new memory has none to delete). */
static st_rc replace_tags(db *d, const char *id, const memory_input *in, bool fresh)
{
    if (in->ntags && !in->tag_list)
        return ST_DB_ERROR;     /* the caller ran out of memory building the list */
    st_rc res = fresh ? ST_OK : st_run(d, "DELETE FROM memory_tags WHERE memory_id = $1",
                                       ST_T(id));
    for (size_t i = 0; i < in->ntags && res == ST_OK; i++)
        res = st_run(d, "INSERT INTO memory_tags (memory_id, tag) VALUES ($1, $2)"
                        " ON CONFLICT DO NOTHING", ST_T(id), ST_T(in->tag_list[i]));
    return res;
}

/* The vector's three parameters: blob, dimension and model (NULLs when
 * the input has no vector). */
#define VEC_ARGS(in) \
    (in)->vec && (in)->dim ? ST_B((in)->vec, (in)->dim * sizeof(float)) : ST_NUL, \
    (in)->vec && (in)->dim ? ST_I((in)->dim) : ST_NUL, \
    ST_T((in)->vec && (in)->dim ? (in)->model : NULL)

static st_rc insert_memory(db *d, const char *id, const char *wid, const memory_input *in,
                           const char *snippet, int64_t now, int64_t gen)
{
    return st_run(d,
        "INSERT INTO memories (id, workspace_id, title, content, snippet, tags, metadata,"
        " embedding, embedding_dim, embedding_model, version, created_at, updated_at,"
        " change_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12)",
        ST_T(id), ST_T(wid), ST_T(in->title), ST_T(in->content), ST_T(snippet),
        ST_T(in->tags ? in->tags : "[]"), ST_T(in->metadata ? in->metadata : "{}"),
        VEC_ARGS(in), ST_I(now), ST_I(gen));
}

st_rc memory_insert_on(db *d, const char *wid, const memory_input *in, bool activity,
                       char *id, size_t idsz)
{
    char msg[1400];     /* titles: 255 characters of up to 4 bytes */
    int64_t now = time_now_us();
    char *snippet = memory_snippet(in->content);
    if (!snippet)
        return ST_DB_ERROR;
    int64_t gen = 0;
    id_prefixed("memory", id, idsz);
    st_rc res = bump_workspace(d, wid, 1, in->vec && in->dim ? 1 : 0, &gen);
    if (res == ST_OK)
        res = insert_memory(d, id, wid, in, snippet, now, gen);
    free(snippet);
    if (res == ST_OK)
        res = replace_tags(d, id, in, true);
    if (res == ST_OK && activity) {
        snprintf(msg, sizeof msg, "Memory '%s' created", in->title);
        res = activity_add(d, wid, "memory_created", msg,
                           json_pack("{s:s,s:s}", "memoryId", id, "memoryTitle", in->title), now);
    }
    return res;
}

typedef struct mem_job {
    const char *wid, *id;
    const memory_input *in;
    const char *snippet;
    memory_row *out;
} mem_job;

static st_rc create_on(db *d, void *ctx)
{
    const mem_job *c = ctx;
    char id[ID_MAX];
    st_rc res = memory_insert_on(d, c->wid, c->in, true, id, sizeof id);
    if (res == ST_OK)       /* read back on the writer: its pages are cached */
        res = memory_get_on(d, id, c->out);
    return res;
}

/* Runs a memory write and returns out filled, or freed when it failed. */
static st_rc mem_write(st_write_fn fn, mem_job *j)
{
    memory_row *out = j->out;
    if (out)
        memset(out, 0, sizeof *out);
    st_rc res = st_write(fn, j);
    if (res != ST_OK && out)
        memory_row_free(out);
    return res;
}

st_rc memory_create(const char *wid, const memory_input *in, memory_row *out)
{
    mem_job j = { wid, NULL, in, NULL, out };
    return mem_write(create_on, &j);    /* batched with concurrent writes */
}

static st_rc update_row(db *d, const char *id, const memory_input *in, const char *snippet,
                        int64_t gen)
{
    bool set_vec = (in->vec && in->dim) || in->clear_vec;
    return st_change(d,
        "UPDATE memories SET title = COALESCE($2, title), content = COALESCE($3, content),"
        " snippet = COALESCE($4, snippet), tags = COALESCE($5, tags),"
        " metadata = COALESCE($6, metadata),"
        " embedding = CASE WHEN $10 = 1 THEN $7 ELSE embedding END,"
        " embedding_dim = CASE WHEN $10 = 1 THEN $8 ELSE embedding_dim END,"
        " embedding_model = CASE WHEN $10 = 1 THEN $9 ELSE embedding_model END,"
        " version = version + 1, updated_at = $11, change_seq = $12 WHERE id = $1",
        ST_T(id), ST_T(in->title), ST_T(in->content), ST_T(snippet), ST_T(in->tags),
        ST_T(in->metadata), VEC_ARGS(in), ST_I(set_vec), ST_I(time_now_us()), ST_I(gen));
}

static st_rc update_on(db *d, void *ctx)
{
    const mem_job *j = ctx;
    const memory_input *in = j->in;
    memory_row old = { 0 };
    int64_t gen = 0;
    st_rc res = memory_get_on(d, j->id, &old);
    if (res == ST_OK) {
        int had = old.embedding != NULL;
        int has = (in->vec && in->dim) ? 1 : in->clear_vec ? 0 : had;
        res = bump_workspace(d, old.workspace_id, 0, has - had, &gen);
    }
    memory_row_free(&old);
    if (res == ST_OK)
        res = update_row(d, j->id, in, j->snippet, gen);
    if (res == ST_OK && in->tag_list)
        res = replace_tags(d, j->id, in, false);
    if (res == ST_OK)
        res = memory_get_on(d, j->id, j->out);
    return res;
}

st_rc memory_update(const char *id, const memory_input *in, memory_row *out)
{
    char *snippet = in->content ? memory_snippet(in->content) : NULL;
    if (in->content && !snippet)
        return ST_DB_ERROR;
    mem_job j = { NULL, id, in, snippet, out };
    st_rc res = mem_write(update_on, &j);
    free(snippet);
    return res;
}

static st_rc delete_on(db *d, void *ctx)
{
    const mem_job *j = ctx;
    memory_row old = { 0 };
    int64_t gen = 0;
    st_rc res = memory_get_on(d, j->id, &old);
    if (res == ST_OK)
        res = bump_workspace(d, old.workspace_id, -1, old.embedding ? -1 : 0, &gen);
    /* NOT_FOUND (all undone) when a concurrent delete committed while this
     * one waited for the workspace row: the counters move once */
    if (res == ST_OK)
        res = st_change(d, "DELETE FROM memories WHERE id = $1", ST_T(j->id));
    if (res == ST_OK)
        res = add_tombstone(d, old.workspace_id, j->id, gen);
    memory_row_free(&old);
    return res;
}

st_rc memory_delete(const char *id)
{
    mem_job j = { NULL, id, NULL, NULL, NULL };
    return mem_write(delete_on, &j);
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
    int64_t limit = pg.limit > 0 ? pg.limit : INT64_MAX;
    st_rc res = read_memories(st_prep(db_thread(), sql[sort], ST_T(wid), ST_T(pattern),
                                      ST_I(limit), ST_I(pg.offset)), out, n);
    *total = (int64_t)*n;
    if (res == ST_OK && (pg.limit > 0 || pg.offset > 0)) {
        db_stmt *st = st_prep(db_thread(), "SELECT COUNT(*) FROM memories" MEM_MATCH,
                              ST_T(wid), ST_T(pattern));
        res = st && db_step(st) == DB_ROW ? ST_OK : ST_DB_ERROR;
        if (st) {
            *total = db_col_int(st, 0);
            db_reset(st);
        }
        if (res != ST_OK)
            ST_DROP_ROWS(memory_rows_free, out, n);
    }
    free(pattern);
    return res;
}

st_rc memory_recent(const char *wid, size_t k, memory_row **out, size_t *n)
{
    return read_memories(st_prep(db_thread(), "SELECT " MEM_COLS " FROM memories WHERE"
                                 " workspace_id = $1 ORDER BY updated_at DESC, id LIMIT $2",
                                 ST_T(wid), ST_I(k)), out, n);
}

st_rc memory_generation(const char *wid, int64_t *gen)
{
    return st_count("SELECT generation FROM workspaces WHERE id = $1", wid, gen);
}

/* One statement each, so that the workspace's generation, counter and
 * tombstone floor come from the same database snapshot as the rows
 * (PostgreSQL gives every statement one snapshot under READ COMMITTED; a
 * SQLite statement reads one WAL snapshot). The LEFT JOIN yields the
 * workspace row even when no memory matches (then m.id is NULL); a delta
 * adds the tombstones after it (kind 1). A full load needs no order. */
#define VEC_COLS \
    "SELECT w.generation, w.memory_count, w.tombstone_floor, 0, m.id," \
    " CASE WHEN m.embedding_model = $2 AND m.embedding_dim = $3 THEN m.embedding END," \
    " m.embedding_dim, m.embedding_model" \
    " FROM workspaces w LEFT JOIN memories m ON m.workspace_id = w.id"
#define VEC_TOMBS \
    " UNION ALL SELECT NULL, NULL, NULL, 1, t.memory_id, NULL, NULL, NULL" \
    " FROM memory_tombstones t WHERE t.workspace_id = $1 AND t.seq > $4 ORDER BY 4"

/* The vector of the current row (col: blob, col + 1: dim, col + 2: model)
 * if it is one of model with dim floats, else NULL. */
static const void *row_vector(db_stmt *st, int col, const char *model, size_t dim)
{
    size_t bytes = 0;
    const void *vec = db_col_blob(st, col, &bytes);
    const char *m = db_col_text(st, col + 2);
    if (!vec || bytes != dim * sizeof(float) || db_col_int(st, col + 1) != (int64_t)dim ||
        !m || strcmp(m, model) != 0)
        return NULL;
    return vec;
}

st_rc memory_vectors(const char *wid, const char *model, size_t dim, int64_t since,
                     const memory_vec_visitor *v)
{
    db_stmt *st = since < 0
        ? st_prep(db_thread(), VEC_COLS " WHERE w.id = $1", ST_T(wid), ST_T(model), ST_I(dim))
        : st_prep(db_thread(), VEC_COLS " AND m.change_seq > $4 WHERE w.id = $1" VEC_TOMBS,
                  ST_T(wid), ST_T(model), ST_I(dim), ST_I(since));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc;
    int stop = 0, first = 1;
    while (!stop && (rc = db_step(st)) == DB_ROW) {
        if (first) {
            v->state(v->ctx, db_col_int(st, 0), db_col_int(st, 1), db_col_int(st, 2));
            first = 0;
        }
        const char *id = db_col_text(st, 4);
        if (!id)
            continue;                           /* the workspace row alone */
        if (db_col_int(st, 3) == 1)
            stop = v->gone(v->ctx, id) != 0;
        else
            stop = v->row(v->ctx, id, row_vector(st, 5, model, dim)) != 0;
    }
    db_reset(st);
    if (stop || rc != DB_DONE)
        return ST_DB_ERROR;
    return first ? ST_NOT_FOUND : ST_OK;
}

/* The id list as the engine's statement takes it: a JSON array for
 * SQLite's json_each, comma-separated for PostgreSQL's string_to_array.
 * Ids are the server's own ("memory-" and hex); any other is left out. */
static char *id_list(db_engine engine, const char *const *ids, size_t n)
{
    buf b = BUF_INIT(0);
    int json = engine == DB_SQLITE, rc = json ? buf_putc(&b, '[') : 0;
    for (size_t i = 0, out = 0; i < n && rc == 0; i++) {
        if (!*ids[i] || strspn(ids[i], "abcdefghijklmnopqrstuvwxyz"
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(ids[i]))
            continue;
        rc = buf_printf(&b, json ? "%s\"%s\"" : "%s%s", out++ ? "," : "", ids[i]);
    }
    if (rc == 0 && json)
        rc = buf_putc(&b, ']');
    if (rc == 0 && !b.p)
        rc = buf_puts(&b, "");
    if (rc != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* The one place where the SQL differs by engine: neither has the other's
 * way of taking a list as one parameter (SQLite has no arrays, PostgreSQL's
 * json_each takes objects only). The workspace is checked here, not in the
 * WHERE clause: given workspace_id = $1 as well, SQLite's planner walks the
 * workspace's index (every memory of it) instead of looking each id up. */
st_rc memory_vectors_of(const char *wid, const char *model, size_t dim, const char *const *ids,
                        size_t n, memory_vec_fn fn, void *ctx)
{
    db *d = db_thread();
    if (!d)
        return ST_DB_ERROR;
    char *list = id_list(db_kind(d), ids, n);
    db_stmt *st = st_prep(d, db_kind(d) == DB_SQLITE
        ? "SELECT m.id, m.created_at, m.change_seq,"
          " CASE WHEN m.embedding_model = $2 AND m.embedding_dim = $3 THEN m.embedding END,"
          " m.embedding_dim, m.embedding_model, m.workspace_id FROM memories m"
          " WHERE m.id IN (SELECT value FROM json_each($1))"
        : "SELECT m.id, m.created_at, m.change_seq,"
          " CASE WHEN m.embedding_model = $2 AND m.embedding_dim = $3 THEN m.embedding END,"
          " m.embedding_dim, m.embedding_model, m.workspace_id FROM memories m"
          " WHERE m.id = ANY(string_to_array($1, ','))", ST_T(list), ST_T(model), ST_I(dim));
    if (!st || !list) {
        free(list);
        return ST_DB_ERROR;
    }
    db_rc rc;
    int stop = 0;
    while (!stop && (rc = db_step(st)) == DB_ROW) {
        const char *w = db_col_text(st, 6);
        if (w && strcmp(w, wid) == 0)
            stop = fn(ctx, db_col_text(st, 0), row_vector(st, 3, model, dim), db_col_int(st, 1),
                      db_col_int(st, 2)) != 0;
    }
    db_reset(st);
    free(list);
    return stop || rc != DB_DONE ? ST_DB_ERROR : ST_OK;
}
