/* integrations.c — see integrations.h. */
#include "store/integrations.h"

#include "store/internal.h"
#include "store/rows.h"
#include "util/ids.h"
#include "util/isotime.h"

#define INT_COLS \
    "id, user_id, provider, model_id, model_name, api_key, status, last_tested," \
    " error_message, created_at, updated_at"

void integration_row_free(integration_row *i)
{
    free(i->model_id);
    free(i->model_name);
    free(i->api_key);
    free(i->error_message);
    memset(i, 0, sizeof *i);
}

void integration_rows_free(integration_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        integration_row_free(&rows[i]);
    free(rows);
}

static void read_integration(db_stmt *st, integration_row *i)
{
    memset(i, 0, sizeof *i);
    COL_COPY(i->id, st, 0);
    COL_COPY(i->user_id, st, 1);
    COL_COPY(i->provider, st, 2);
    i->model_id = col_dup(st, 3);
    i->model_name = col_dup(st, 4);
    i->api_key = col_dup_str(st, 5);
    COL_COPY(i->status, st, 6);
    i->last_tested = db_col_null(st, 7) ? 0 : db_col_int(st, 7);
    i->error_message = col_dup(st, 8);
    i->created_at = db_col_int(st, 9);
    i->updated_at = db_col_int(st, 10);
}

/* Runs a bound single-row query into out. */
static st_rc fetch_one(db_stmt *st, integration_row *out)
{
    db_rc rc = db_step(st);
    if (rc == DB_ROW)
        read_integration(st, out);
    db_reset(st);
    return rc == DB_ROW ? ST_OK : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
}

st_rc integration_list(const char *user_id, page pg, integration_row **out, size_t *n,
                       int64_t *total)
{
    db_stmt *st = db_prepare(db_thread(), "SELECT " INT_COLS " FROM integrations"
                             " WHERE user_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3");
    *out = NULL;
    *n = 0;
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, user_id);
    db_bind_int(st, 2, pg.limit > 0 ? pg.limit : INT64_MAX);
    db_bind_int(st, 3, pg.offset);
    size_t cap = 0;
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            integration_row *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = DB_ERR;
                break;
            }
            *out = p;
        }
        read_integration(st, &(*out)[(*n)++]);
    }
    db_reset(st);
    if (rc != DB_DONE) {
        integration_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ST_DB_ERROR;
    }
    *total = (int64_t)*n;
    if (pg.limit > 0 || pg.offset > 0)
        return st_count("SELECT COUNT(*) FROM integrations WHERE user_id = $1", user_id, total);
    return ST_OK;
}

st_rc integration_get(const char *id, const char *user_id, integration_row *out)
{
    db_stmt *st = db_prepare(db_thread(), "SELECT " INT_COLS " FROM integrations"
                             " WHERE id = $1 AND user_id = $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, user_id);
    return fetch_one(st, out);
}

st_rc integration_connected(const char *user_id, const char *provider, integration_row *out)
{
    db_stmt *st = db_prepare(db_thread(), "SELECT " INT_COLS " FROM integrations"
                             " WHERE user_id = $1 AND provider = $2 AND status = 'connected'");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, user_id);
    db_bind_text(st, 2, provider);
    return fetch_one(st, out);
}

static void bind_test(db_stmt *st, int idx, const integration_test *t)
{
    db_bind_text(st, idx, t ? t->status : NULL);
    db_bind_text(st, idx + 1, t ? t->error : NULL);
    if (t)
        db_bind_int(st, idx + 2, t->tested_at);
    else
        db_bind_null(st, idx + 2);
    db_bind_int(st, idx + 3, t != NULL);
}

st_rc integration_create(const char *user_id, const char *provider, const char *model_id,
                         const char *model_name, const char *enc_key,
                         const integration_test *t, integration_row *out)
{
    char id[ID_MAX];
    id_prefixed("int", id, sizeof id);
    db_stmt *st = db_prepare(db_thread(),
        "INSERT INTO integrations (id, user_id, provider, model_id, model_name, api_key, status,"
        " error_message, last_tested, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6,"
        " CASE WHEN $10 = 1 THEN $7 ELSE 'disconnected' END, $8, $9, $11, $11)");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, user_id);
    db_bind_text(st, 3, provider);
    db_bind_text(st, 4, model_id);
    db_bind_text(st, 5, model_name);
    db_bind_text(st, 6, enc_key);
    bind_test(st, 7, t);
    db_bind_int(st, 11, time_now_us());
    st_rc res = st_exec(st);
    return res == ST_OK ? integration_get(id, user_id, out) : res;
}

st_rc integration_update(const char *id, const char *user_id, const char *enc_key,
                         const char *model_id, const char *model_name,
                         const integration_test *t, integration_row *out)
{
    db_stmt *st = db_prepare(db_thread(),
        "UPDATE integrations SET api_key = COALESCE($3, api_key),"
        " model_id = COALESCE($4, model_id), model_name = COALESCE($5, model_name),"
        " status = CASE WHEN $9 = 1 THEN $6 ELSE status END,"
        " error_message = CASE WHEN $9 = 1 THEN $7 ELSE error_message END,"
        " last_tested = CASE WHEN $9 = 1 THEN $8 ELSE last_tested END,"
        " updated_at = $10 WHERE id = $1 AND user_id = $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, user_id);
    db_bind_text(st, 3, enc_key);
    db_bind_text(st, 4, model_id);
    db_bind_text(st, 5, model_name);
    bind_test(st, 6, t);
    db_bind_int(st, 10, time_now_us());
    db_rc rc = db_step(st);
    int64_t n = db_changes(st);
    db_reset(st);
    if (rc != DB_DONE)
        return ST_DB_ERROR;
    return n ? integration_get(id, user_id, out) : ST_NOT_FOUND;
}

st_rc integration_delete(const char *id, const char *user_id)
{
    db_stmt *st = db_prepare(db_thread(), "DELETE FROM integrations WHERE id = $1"
                                          " AND user_id = $2");
    if (!st)
        return ST_DB_ERROR;
    db_bind_text(st, 1, id);
    db_bind_text(st, 2, user_id);
    return st_exec_changed(st);
}
