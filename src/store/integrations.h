/* integrations.h — a user's provider integrations (API.md §3.5, §5.7). The
 * key is stored encrypted (Fernet, by the caller); this file never sees a
 * plain key. Another user's integration is ST_NOT_FOUND. */
#ifndef CHIMERA_STORE_INTEGRATIONS_H
#define CHIMERA_STORE_INTEGRATIONS_H

#include "store/workspaces.h"

#include <stdbool.h>

typedef struct integration_row {
    char id[40];
    char user_id[40];
    char provider[16];
    char *model_id;         /* NULL when unset */
    char *model_name;
    char *api_key;          /* Fernet token */
    char status[16];
    int64_t last_tested;    /* 0 = never */
    char *error_message;    /* NULL when none */
    int64_t created_at, updated_at;
} integration_row;

/* A test outcome to store with a change. */
typedef struct integration_test {
    const char *status;     /* "connected" | "error" */
    const char *error;      /* NULL on success */
    int64_t tested_at;
} integration_test;

void integration_row_free(integration_row *i);
void integration_rows_free(integration_row *rows, size_t n);

st_rc integration_list(const char *user_id, page pg, integration_row **out, size_t *n,
                       int64_t *total);
st_rc integration_get(const char *id, const char *user_id, integration_row *out);
/* The user's integration for provider with status connected. */
st_rc integration_connected(const char *user_id, const char *provider, integration_row *out);

/* ST_CONFLICT when the user already has one for this provider. */
st_rc integration_create(const char *user_id, const char *provider, const char *model_id,
                         const char *model_name, const char *enc_key,
                         const integration_test *t, integration_row *out);

/* Applies the non-NULL fields; t (when not NULL) stores a test outcome. */
st_rc integration_update(const char *id, const char *user_id, const char *enc_key,
                         const char *model_id, const char *model_name,
                         const integration_test *t, integration_row *out);

st_rc integration_delete(const char *id, const char *user_id);

#endif
