/* integrations.c — see integrations.h. */
#include "store/integrations.h"

#include "store/internal.h"
#include "store/stamps.h"
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
    ST_FREE_ROWS(rows, n, integration_row_free);
}

static bool read_integration(db_stmt *st, void *row)
{
    integration_row *i = row;
    memset(i, 0, sizeof *i);
    COL_COPY(i->id, st, 0);
    COL_COPY(i->user_id, st, 1);
    COL_COPY(i->provider, st, 2);
    COL_COPY(i->status, st, 6);
    i->last_tested = db_col_null(st, 7) ? 0 : db_col_int(st, 7);
    i->created_at = db_col_int(st, 9);
    i->updated_at = db_col_int(st, 10);
    if (col_dup(st, 3, &i->model_id) && col_dup(st, 4, &i->model_name) &&
        col_dup_str(st, 5, &i->api_key) && col_dup(st, 8, &i->error_message))
        return true;
    integration_row_free(i);
    return false;
}

st_rc integration_list(const char *user_id, page pg, integration_row **out, size_t *n,
                       int64_t *total)
{
    *out = NULL;
    *n = 0;
    st_rc res = st_rows(st_prep(db_thread(), "SELECT " INT_COLS " FROM integrations"
                                " WHERE user_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
                                ST_T(user_id), ST_PAGE(pg)),
                        sizeof **out, read_integration, out, n);
    if (res == ST_OK)
        res = st_total("SELECT COUNT(*) FROM integrations WHERE user_id = $1",
                       user_id, pg, *n, total);
    if (res != ST_OK)
        ST_DROP_ROWS(integration_rows_free, out, n);
    return res;
}

st_rc integration_get(const char *id, const char *user_id, integration_row *out)
{
    return st_one(st_prep(db_thread(), "SELECT " INT_COLS " FROM integrations"
                          " WHERE id = $1 AND user_id = $2", ST_T(id), ST_T(user_id)),
                  read_integration, out);
}

st_rc integration_connected(const char *user_id, const char *provider, integration_row *out)
{
    return st_one(st_prep(db_thread(), "SELECT " INT_COLS " FROM integrations"
                          " WHERE user_id = $1 AND provider = $2 AND status = 'connected'",
                          ST_T(user_id), ST_T(provider)), read_integration, out);
}

/* A connection test's four parameters: status, error, tested_at, and
 * whether there was a test at all. */
#define TEST_ARGS(t) \
    ST_T((t) ? (t)->status : NULL), ST_T((t) ? (t)->error : NULL), \
    (t) ? ST_I((t)->tested_at) : ST_NUL, ST_I((t) != NULL)

st_rc integration_create(const char *user_id, const char *provider, const char *model_id,
                         const char *model_name, const char *enc_key,
                         const integration_test *t, integration_row *out)
{
    char id[ID_MAX];
    id_prefixed("int", id, sizeof id);
    st_rc res = st_write_run(USER_STAMPS(user_id, U_INTEGRATIONS),
        "INSERT INTO integrations (id, user_id, provider, model_id, model_name, api_key, status,"
        " error_message, last_tested, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6,"
        " CASE WHEN $10 = 1 THEN $7 ELSE 'disconnected' END, $8, $9, $11, $11)",
        ST_T(id), ST_T(user_id), ST_T(provider), ST_T(model_id), ST_T(model_name),
        ST_T(enc_key), TEST_ARGS(t), ST_I(time_now_us()));
    return res == ST_OK ? integration_get(id, user_id, out) : res;
}

st_rc integration_update(const char *id, const char *user_id, const char *enc_key,
                         const char *model_id, const char *model_name,
                         const integration_test *t, integration_row *out)
{
    st_rc res = st_write_change(USER_STAMPS(user_id, U_INTEGRATIONS),
        "UPDATE integrations SET api_key = COALESCE($3, api_key),"
        " model_id = COALESCE($4, model_id), model_name = COALESCE($5, model_name),"
        " status = CASE WHEN $9 = 1 THEN $6 ELSE status END,"
        " error_message = CASE WHEN $9 = 1 THEN $7 ELSE error_message END,"
        " last_tested = CASE WHEN $9 = 1 THEN $8 ELSE last_tested END,"
        " updated_at = $10 WHERE id = $1 AND user_id = $2",
        ST_T(id), ST_T(user_id), ST_T(enc_key), ST_T(model_id), ST_T(model_name), TEST_ARGS(t),
        ST_I(time_now_us()));
    return res == ST_OK ? integration_get(id, user_id, out) : res;
}

st_rc integration_delete(const char *id, const char *user_id)
{
    return st_write_change(USER_STAMPS(user_id, U_INTEGRATIONS), "DELETE FROM integrations WHERE id = $1 AND user_id = $2",
                           ST_T(id), ST_T(user_id));
}
