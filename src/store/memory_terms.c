/* memory_terms.c — see memory_terms.h. */
#include "store/memory_terms.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/terms.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Postings and document-frequency upserts go in multi-row statements of
 * 2^i rows (the largest that fits first, so n rows take about log2(n) +
 * n / max statements, one round trip each on PostgreSQL), each statement's
 * parameters within the 24 the db layer takes (DB_MAX_PARAMS): postings
 * 3 + 2 x 8, upserts 1 + 16. */
#define POST_LEVELS 4           /* 1, 2, 4, 8 rows */
#define DF_LEVELS 5             /* 1 … 16 rows */
#define BACKFILL_BATCH 256

#define POSTING_INSERT "INSERT INTO memory_terms (workspace_id, memory_id, doc_len, term, tf) VALUES "
#define DF_INSERT "INSERT INTO memory_term_df (workspace_id, term, df) VALUES "
#define DF_UPSERT " ON CONFLICT (workspace_id, term) DO UPDATE SET df = memory_term_df.df + 1"

static char post_sql[POST_LEVELS][128 + 8 * 32];
static char df_sql[DF_LEVELS][160 + 16 * 16];

static void build_sql(void)
{
    for (int l = 0; l < POST_LEVELS; l++) {
        size_t off = (size_t)snprintf(post_sql[l], sizeof post_sql[l], "%s", POSTING_INSERT);
        for (int i = 0; i < 1 << l; i++)
            off += (size_t)snprintf(post_sql[l] + off, sizeof post_sql[l] - off,
                                    "%s($1, $2, $3, $%d, $%d)", i ? ", " : "", 4 + 2 * i,
                                    5 + 2 * i);
    }
    for (int l = 0; l < DF_LEVELS; l++) {
        size_t off = (size_t)snprintf(df_sql[l], sizeof df_sql[l], "%s", DF_INSERT);
        for (int i = 0; i < 1 << l; i++)
            off += (size_t)snprintf(df_sql[l] + off, sizeof df_sql[l] - off, "%s($1, $%d, 1)",
                                    i ? ", " : "", 2 + i);
        snprintf(df_sql[l] + off, sizeof df_sql[l] - off, "%s", DF_UPSERT);
    }
}

static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

/* The level (log2 of the rows) of the next statement for left rows. */
static int level_for(size_t left, int levels)
{
    int l = levels - 1;
    while (l > 0 && ((size_t)1 << l) > left)
        l--;
    return l;
}

static st_rc insert_postings(db *d, const char *wid, const char *id, const term_bag *b)
{
    pthread_once(&sql_once, build_sql);
    st_arg args[3 + 2 * (1 << (POST_LEVELS - 1))] = { ST_T(wid), ST_T(id), ST_I(b->length) };
    st_rc res = ST_OK;
    for (size_t i = 0; res == ST_OK && i < b->n;) {
        int l = level_for(b->n - i, POST_LEVELS);
        size_t rows = (size_t)1 << l;
        for (size_t j = 0; j < rows; j++) {
            args[3 + 2 * j] = ST_T(b->v[i + j].s);
            args[4 + 2 * j] = ST_I(b->v[i + j].tf);
        }
        res = st_exec(st_prep_a(d, post_sql[l], args, 3 + 2 * rows));
        i += rows;
    }
    return res;
}

/* One more memory of wid holds each term of b (the terms are distinct). */
static st_rc count_terms(db *d, const char *wid, const term_bag *b)
{
    pthread_once(&sql_once, build_sql);
    st_arg args[1 + (1 << (DF_LEVELS - 1))] = { ST_T(wid) };
    st_rc res = ST_OK;
    for (size_t i = 0; res == ST_OK && i < b->n;) {
        int l = level_for(b->n - i, DF_LEVELS);
        size_t rows = (size_t)1 << l;
        for (size_t j = 0; j < rows; j++)
            args[1 + j] = ST_T(b->v[i + j].s);
        res = st_exec(st_prep_a(d, df_sql[l], args, 1 + rows));
        i += rows;
    }
    return res;
}

/* Takes memory id's postings out: one memory fewer holds each of its
 * terms (rows reaching 0 go), then the postings themselves. */
static st_rc remove_postings(db *d, const char *wid, const char *id)
{
    st_rc res = st_run(d, "UPDATE memory_term_df SET df = df - 1 WHERE workspace_id = $1 AND"
                          " term IN (SELECT term FROM memory_terms WHERE memory_id = $2)",
                       ST_T(wid), ST_T(id));
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM memory_term_df WHERE workspace_id = $1 AND df <= 0 AND"
                        " term IN (SELECT term FROM memory_terms WHERE memory_id = $2)",
                     ST_T(wid), ST_T(id));
    if (res == ST_OK)
        res = st_run(d, "DELETE FROM memory_terms WHERE memory_id = $1", ST_T(id));
    return res;
}

typedef struct text_row {
    char *title, *content;
    int64_t term_count;
    int indexed;            /* term_count is not NULL: postings may exist */
} text_row;

static void read_text(db_stmt *st, void *row)
{
    text_row *t = row;
    t->title = col_dup_str(st, 0);
    t->content = col_dup_str(st, 1);
    t->term_count = db_col_int(st, 2);      /* NULL (not indexed) reads 0 */
    t->indexed = db_col_int(st, 3) != 0;
}

static st_rc add_length(db *d, const char *wid, int64_t delta)
{
    return delta ? st_run(d, "UPDATE workspaces SET term_total = term_total + $2 WHERE id = $1",
                          ST_T(wid), ST_I(delta))
                 : ST_OK;
}

st_rc memory_terms_index_on(db *d, const char *wid, const char *id)
{
    text_row t = { 0 };
    term_bag b = TERM_BAG_INIT;
    st_rc res = st_one(st_prep(d, "SELECT title, content, term_count,"
                               " CASE WHEN term_count IS NULL THEN 0 ELSE 1 END"
                               " FROM memories WHERE id = $1", ST_T(id)), read_text, &t);
    if (res == ST_OK && (!t.title || !t.content ||
                         terms_add(&b, t.title, strlen(t.title), TERMS_TITLE_WEIGHT) != 0 ||
                         terms_add(&b, t.content, strlen(t.content), 1) != 0))
        res = ST_DB_ERROR;
    terms_finish(&b);
    if (res == ST_OK && t.indexed)
        res = remove_postings(d, wid, id);
    if (res == ST_OK)
        res = insert_postings(d, wid, id, &b);
    if (res == ST_OK)
        res = count_terms(d, wid, &b);
    if (res == ST_OK)
        res = st_run(d, "UPDATE memories SET term_count = $2 WHERE id = $1", ST_T(id),
                     ST_I(b.length));
    if (res == ST_OK)
        res = add_length(d, wid, b.length - t.term_count);
    free(t.title);
    free(t.content);
    terms_free(&b);
    return res;
}

static void read_int(db_stmt *st, void *row)
{
    *(int64_t *)row = db_col_int(st, 0);
}

st_rc memory_terms_drop_on(db *d, const char *wid, const char *id)
{
    int64_t len = 0;
    st_rc res = st_one(st_prep(d, "SELECT term_count FROM memories WHERE id = $1", ST_T(id)),
                       read_int, &len);
    if (res == ST_OK)
        res = remove_postings(d, wid, id);
    if (res == ST_OK)
        res = add_length(d, wid, -len);
    return res;
}

/* ---- back-fill ---- */

typedef struct pending_row {
    char id[40], wid[40];
} pending_row;

static void read_pending(db_stmt *st, void *row)
{
    pending_row *p = row;
    COL_COPY(p->id, st, 0);
    COL_COPY(p->wid, st, 1);
}

typedef struct backfill_job {
    pending_row *rows;
    size_t n, done;
} backfill_job;

/* Claims each row first (term_count from NULL to 0): on PostgreSQL a node
 * back-filling at the same time waits on the row and then finds it done. */
static st_rc backfill_on(db *d, void *ctx)
{
    backfill_job *j = ctx;
    st_rc res = ST_OK;
    j->done = 0;
    for (size_t i = 0; i < j->n && res == ST_OK; i++) {
        res = st_change(d, "UPDATE memories SET term_count = 0 WHERE id = $1 AND"
                           " term_count IS NULL", ST_T(j->rows[i].id));
        if (res == ST_NOT_FOUND) {
            res = ST_OK;
            continue;
        }
        if (res == ST_OK)
            res = memory_terms_index_on(d, j->rows[i].wid, j->rows[i].id);
        j->done++;
    }
    return res;
}

st_rc memory_terms_backfill(size_t *done)
{
    *done = 0;
    for (;;) {
        backfill_job j = { NULL, 0, 0 };
        st_rc res = st_rows(st_prep(db_thread(), "SELECT id, workspace_id FROM memories"
                                    " WHERE term_count IS NULL LIMIT $1", ST_I(BACKFILL_BATCH)),
                            sizeof *j.rows, read_pending, &j.rows, &j.n);
        if (res == ST_OK && j.n > 0)
            res = st_write(backfill_on, &j);
        size_t n = j.n;
        *done += res == ST_OK ? j.done : 0;
        free(j.rows);
        if (res != ST_OK || n == 0)
            return res;
    }
}

/* ---- reads ---- */

typedef struct stats_row {
    int64_t docs, length;
} stats_row;

static void read_stats(db_stmt *st, void *row)
{
    stats_row *s = row;
    s->docs = db_col_int(st, 0);
    s->length = db_col_int(st, 1);
}

st_rc memory_terms_stats(const char *wid, int64_t *docs, int64_t *length)
{
    stats_row s = { 0, 0 };
    st_rc res = st_one(st_prep(db_thread(), "SELECT memory_count, term_total FROM workspaces"
                               " WHERE id = $1", ST_T(wid)), read_stats, &s);
    *docs = s.docs;
    *length = s.length;
    return res;
}

st_rc memory_terms_df(const char *wid, const char *term, int64_t *df)
{
    *df = 0;
    st_rc res = st_one(st_prep(db_thread(), "SELECT df FROM memory_term_df"
                               " WHERE workspace_id = $1 AND term = $2", ST_T(wid), ST_T(term)),
                       read_int, df);
    return res == ST_NOT_FOUND ? ST_OK : res;
}

st_rc memory_terms_postings(const char *wid, const char *term, memory_posting_fn fn, void *ctx)
{
    db_stmt *st = st_prep(db_thread(), "SELECT memory_id, tf, doc_len FROM memory_terms"
                          " WHERE workspace_id = $1 AND term = $2", ST_T(wid), ST_T(term));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc;
    int stop = 0;
    while (!stop && (rc = db_step(st)) == DB_ROW) {
        const char *id = db_col_text(st, 0);
        if (id)
            stop = fn(ctx, id, db_col_int(st, 1), db_col_int(st, 2)) != 0;
    }
    db_reset(st);
    return stop || rc != DB_DONE ? ST_DB_ERROR : ST_OK;
}

st_rc memory_terms_tf(const char *wid, const char *term, const char *id, int64_t *tf)
{
    *tf = 0;
    return st_one(st_prep(db_thread(), "SELECT tf FROM memory_terms WHERE workspace_id = $1"
                          " AND term = $2 AND memory_id = $3", ST_T(wid), ST_T(term), ST_T(id)),
                  read_int, tf);
}
