/* integrations.c — a user's provider integrations (API.md §5.7, §6.5,
 * §12): keys encrypted with Fernet, masked in every answer, never logged,
 * and tested live on create, on key change and on demand. The live test
 * runs on the outbound engine while the connection is suspended. */
#include "api/access.h"
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/integration_json.h"
#include "api/shapes/serialize.h"
#include "api/services/outcall.h"
#include "api/services/secrets.h"
#include "api/validate.h"

#include "http/response.h"
#include "llm/provider.h"
#include "store/integrations.h"
#include "util/isotime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_INT_NOT_FOUND "Integration not found"

typedef enum test_kind { TEST_CREATE, TEST_UPDATE, TEST_ONLY } test_kind;

/* A pending live test and what to store when it ends. */
typedef struct test_job {
    test_kind kind;
    llm_provider provider;
    char id[40];                /* update/test: the integration */
    char *key;                  /* plain key (wiped on free) */
    char *model_id, *model_name;
} test_job;

static void job_free(test_job *j)
{
    secrets_wipe(j->key);
    free(j->model_id);
    free(j->model_name);
    free(j);
}

static void reply_integration(http_req *r, int status, st_rc st, integration_row *in)
{
    if (st == ST_CONFLICT) {
        resp_error(r, 400, "Integration already exists for this provider");
        return;
    }
    if (st != ST_OK) {
        api_store_error(r, st, MSG_INT_NOT_FOUND);
        return;
    }
    resp_data(r, status, integration_json(in));
    integration_row_free(in);
}

static json_t *integration_item(const void *row)
{
    return integration_json(row);
}

void h_integrations_list(http_req *r)
{
    page pg;
    integration_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (api_page(r, 0, &pg) != 0)
        return;
    st_rc st = integration_list(r->user->user.id, pg, &rows, &n, &total);
    api_reply_list(r, st, "integrations", rows, n, sizeof *rows, integration_item, total);
    integration_rows_free(rows, n);
}

void h_integration_get(http_req *r)
{
    integration_row in;
    reply_integration(r, 200, integration_get(req_param(r, 0), r->user->user.id, &in), &in);
}

void h_integration_delete(http_req *r)
{
    st_rc st = integration_delete(req_param(r, 0), r->user->user.id);
    api_reply_done(r, st, MSG_INT_NOT_FOUND, "Integration deleted successfully");
}

/* After the live test (the answer's meaning is its status alone). */
static void test_fetched(http_req *r, const net_result *res, void *ctx)
{
    test_job *j = ctx;
    char err[300];
    integration_row in;
    int ok = llm_test_result(j->provider, res->status, res->timed_out, res->transport_failed,
                             res->error, err, sizeof err);
    integration_test t = { ok ? "connected" : "error", ok ? NULL : err, time_now_us() };
    char *enc = j->kind == TEST_ONLY ? NULL : secrets_encrypt(j->key);
    st_rc st;
    if (j->kind != TEST_ONLY && !enc)
        st = ST_DB_ERROR;
    else if (j->kind == TEST_CREATE)
        st = integration_create(r->user->user.id, llm_provider_name(j->provider), j->model_id,
                                j->model_name, enc, &t, &in);
    else
        st = integration_update(j->id, r->user->user.id, enc, j->model_id, j->model_name, &t, &in);
    free(enc);
    if (j->kind == TEST_ONLY && st == ST_OK) {
        resp_data(r, 200, json_pack("{s:o,s:s,s:b}", "integration", integration_json(&in),
                                    "message", ok ? "Connection test successful" : err,
                                    "success", ok));
        integration_row_free(&in);
    } else {
        reply_integration(r, j->kind == TEST_CREATE ? 201 : 200, st, &in);
    }
    job_free(j);
}

/* Defers r until the live test of j's key has run. */
static void run_test(http_req *r, test_job *j)
{
    net_request *req = calloc(1, sizeof *req);
    if (!req || llm_test_request(j->provider, j->key, req) != 0) {
        free(req);
        job_free(j);
        resp_error(r, 500, "Internal server error");
        return;
    }
    api_fetch(r, req, test_fetched, j);
}


/* Reads the body of create (create=true) or update into a new job. */
static test_job *read_integration_body(http_req *r, json_t *body, bool create)
{
    json_t *errs = json_object();
    char *provider = NULL;
    test_job *j = calloc(1, sizeof *j);
    if (!errs || !j) {
        resp_no_memory(r);
        json_decref(errs);
        free(j);
        return NULL;
    }
    const char *shape = create ? "IntegrationCreate" : "IntegrationUpdate";
    if (create && val_decl_str(body, shape, "provider", errs, &provider) > 0)
        llm_provider_parse(provider, &j->provider);
    if (val_decl_str(body, shape, "apiKey", errs, &j->key) > 0) {
        /* keys travel in HTTP headers: control characters can never be valid */
        for (const unsigned char *p = (const unsigned char *)j->key; *p; p++)
            if (*p < 0x20 || *p == 0x7f) {
                val_error(errs, "apiKey", "API keys may not contain control characters.");
                break;
            }
    }
    val_decl_str(body, shape, "modelId", errs, &j->model_id);
    val_decl_str(body, shape, "modelName", errs, &j->model_name);
    free(provider);
    if (json_object_size(errs)) {
        resp_fields(r, errs);
        job_free(j);
        return NULL;
    }
    json_decref(errs);
    return j;
}

/* The request's body read into a live-test job (NULL: r answered). */
static test_job *integration_job(http_req *r, bool create)
{
    json_t *body = val_body(r);
    test_job *j = body ? read_integration_body(r, body, create) : NULL;
    json_decref(body);
    return j;
}

void h_integrations_create(http_req *r)
{
    test_job *j = integration_job(r, true);
    integration_row in;
    if (!j)
        return;
    j->kind = TEST_CREATE;
    /* Refuse a duplicate before spending a live test on it. */
    integration_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (integration_list(r->user->user.id, (page){ 0, 0 }, &rows, &n, &total) == ST_OK) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].provider, llm_provider_name(j->provider)) == 0) {
                integration_rows_free(rows, n);
                job_free(j);
                reply_integration(r, 201, ST_CONFLICT, &in);
                return;
            }
        integration_rows_free(rows, n);
    }
    run_test(r, j);
}

void h_integration_update(http_req *r)
{
    test_job *j = integration_job(r, false);
    integration_row in;
    if (!j)
        return;
    st_rc st = integration_get(req_param(r, 0), r->user->user.id, &in);
    if (st != ST_OK) {
        job_free(j);
        api_store_error(r, st, MSG_INT_NOT_FOUND);
        return;
    }
    snprintf(j->id, sizeof j->id, "%s", in.id);
    llm_provider_parse(in.provider, &j->provider);
    integration_row_free(&in);
    j->kind = TEST_UPDATE;
    if (j->key) {
        run_test(r, j);
        return;
    }
    st = integration_update(j->id, r->user->user.id, NULL, j->model_id, j->model_name, NULL, &in);
    job_free(j);
    reply_integration(r, 200, st, &in);
}

void h_integration_test(http_req *r)
{
    integration_row in;
    st_rc st = integration_get(req_param(r, 0), r->user->user.id, &in);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_INT_NOT_FOUND);
        return;
    }
    test_job *j = calloc(1, sizeof *j);
    bool no_memory = false;
    char *key = secrets_decrypt(in.api_key, &no_memory);
    if (!j || no_memory) {
        resp_no_memory(r);      /* the key is not at fault: nothing recorded */
        free(j);
        secrets_wipe(key);
        integration_row_free(&in);
        return;
    }
    if (!key) {
        integration_test t = { "error", "Failed to decrypt API key", time_now_us() };
        integration_row upd;
        if (integration_update(in.id, r->user->user.id, NULL, NULL, NULL, &t, &upd) == ST_OK)
            integration_row_free(&upd);
        resp_error(r, 400, "Failed to decrypt API key");
        free(j);
        secrets_wipe(key);
        integration_row_free(&in);
        return;
    }
    j->key = key;
    j->kind = TEST_ONLY;
    snprintf(j->id, sizeof j->id, "%s", in.id);
    llm_provider_parse(in.provider, &j->provider);
    integration_row_free(&in);
    run_test(r, j);
}
