/* models.c — the model catalogue of API.md §6.1 (one model per connected
 * integration, plus the offline echo model of D7), and the legacy POST
 * /chat answer of D8. */
#include "api/api.h"
#include "api/handlers.h"

#include "config.h"
#include "http/response.h"
#include "store/integrations.h"
#include "util/jsonx.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *provider, *name, *region;
    double x, y, z;
} CATALOG[] = {
    { "openai", "gpt-4o", "Left Cortex", -1.7926077716418671, 0.7967145651741632, 0.995893206467704 },
    { "anthropic", "claude-3.5-sonnet", "Right Cortex", 1.7926077716418671, 0.7967145651741632, 0.995893206467704 },
    { "google", "gemini-2.0-flash", "Occipital", 0.0, -1.2203404316955044, 1.8305106475432567 },
    { "deepseek", "deepseek-chat", "Frontal Lobe", 0.0, 1.8305106475432567, 1.2203404316955044 },
    { "groq", "llama-3.3-70b-versatile", "Temporal", -1.5141438435457077, -0.5047146145152359, 1.5141438435457077 },
    { "echo", "echo", "Cerebellum", 0.0, 0.0, 2.2 },
};
#define NCATALOG (sizeof CATALOG / sizeof CATALOG[0])

/* Python's str.title() of the name with '-' read as spaces ("Gpt 4O"). */
static void display_name(const char *name, char *out, size_t outsz)
{
    size_t i = 0;
    int prev_letter = 0;
    for (; name[i] && i + 1 < outsz; i++) {
        unsigned char c = (unsigned char)(name[i] == '-' ? ' ' : name[i]);
        out[i] = (char)(isalpha(c) ? (prev_letter ? tolower(c) : toupper(c)) : c);
        prev_letter = isalpha(c) != 0;
    }
    out[i] = '\0';
}

static json_t *model_json(size_t k, const char *name, const char *display)
{
    char id[160], shown[160];
    snprintf(id, sizeof id, "model-%s", name);
    if (!display || !*display) {
        display_name(name, shown, sizeof shown);
        display = shown;
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:f,s:f,s:f}}", "id", id,
                     "provider", CATALOG[k].provider, "name", name, "displayName", display,
                     "brainRegion", CATALOG[k].region, "status", "connected", "position",
                     "x", CATALOG[k].x, "y", CATALOG[k].y, "z", CATALOG[k].z);
}

static size_t catalog_index(const char *provider)
{
    for (size_t k = 0; k < NCATALOG; k++)
        if (strcmp(CATALOG[k].provider, provider) == 0)
            return k;
    return NCATALOG - 1;
}

void h_models_available(http_req *r)
{
    integration_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    st_rc st = integration_list(r->user->user.id, (page){ 0, 0 }, &rows, &n, &total);
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        return;
    }
    json_t *models = json_array();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].status, "connected") != 0)
            continue;
        size_t k = catalog_index(rows[i].provider);
        const char *name = rows[i].model_id && *rows[i].model_id ? rows[i].model_id
                                                                  : CATALOG[k].name;
        models = json_push(models, model_json(k, name, rows[i].model_name));
    }
    integration_rows_free(rows, n);
    if (cfg.debug || cfg.echo_model)
        models = json_push(models, model_json(NCATALOG - 1, "echo", "Echo (offline)"));
    resp_data(r, 200, json_pack("{s:o,s:I}", "models", models, "total",
                                (json_int_t)json_array_size(models)));
}

void h_chat_legacy(http_req *r)
{
    resp_error(r, 410, "This endpoint is gone: send messages with "
                       "POST /api/conversations/{id}/messages");
}
