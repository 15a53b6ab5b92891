/* schema.c — the OpenAPI document (api/openapi/document.h): raw at
 * GET /api/openapi.json for Swagger UI, Redoc and client generators, and
 * inside the envelope at GET /api/schema, as before. */
#include "api/handlers.h"
#include "api/openapi/document.h"

#include "http/response.h"
#include "util/oom.h"

#include <string.h>

void h_schema(http_req *r)
{
    json_t *doc = oas_document();
    if (!doc) {
        resp_error(r, 500, "Internal server error");
        return;
    }
    resp_data(r, 200, doc);
}

void h_openapi(http_req *r)
{
    json_t *doc = oas_document();
    char *text = doc ? json_dumps_whole(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        resp_error(r, 500, "Internal server error");
        return;
    }
    resp_raw(r, 200, text, strlen(text));
}
