/* schema.c — GET /api/schema: an OpenAPI 3 document generated from the
 * route table, so it can never disagree with what the router serves. */
#include "api/access.h"
#include "api/api.h"
#include "api/handlers.h"

#include "http/response.h"

#include <string.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

static json_t *operation(const route *rt)
{
    json_t *op = json_object();
    json_object_set_new(op, "operationId", json_sprintf("%s %s", rt->method, rt->pattern));
    if (!(rt->flags & ROUTE_PUBLIC))
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
    const char *role = api_role_name(rt->role);
    if (role)
        json_object_set_new(op, "x-min-role", json_string(role));
    if (strcmp(rt->request, "-") != 0)
        json_object_set_new(op, "requestBody", json_pack(
            "{s:{s:{s:{s:s+}}}}", "content", "application/json", "schema", "$ref",
            "#/components/schemas/", rt->request));
    json_object_set_new(op, "responses", json_pack(
        "{s:{s:s+,s:{s:{s:{s:s+}}}}}", "default", "description", "Envelope with ",
        rt->response, "content", "application/json", "schema", "$ref",
        "#/components/schemas/", rt->response));
    return op;
}

void h_schema(http_req *r)
{
    size_t n;
    const route *rt = api_routes(&n);
    json_t *paths = json_object(), *schemas = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_object_get(paths, rt[i].pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, rt[i].pattern, item);
        }
        char lower[8] = { 0 };
        for (size_t k = 0; k < sizeof lower - 1 && rt[i].method[k]; k++)
            lower[k] = (char)(rt[i].method[k] | 0x20);
        json_object_set_new(item, lower, operation(&rt[i]));
        const char *shapes[2] = { rt[i].request, rt[i].response };
        for (int k = 0; k < 2; k++)
            if (strcmp(shapes[k], "-") != 0)
                json_object_set_new(schemas, shapes[k], json_pack("{s:s}", "type", "object"));
    }
    json_t *doc = json_pack("{s:s,s:{s:s,s:s},s:o,s:{s:o,s:{s:{s:s,s:s,s:s}}}}",
        "openapi", "3.0.3", "info", "title", "Chimera API", "version", CHIMERA_VERSION,
        "paths", paths, "components", "schemas", schemas, "securitySchemes", "bearer",
        "type", "http", "scheme", "bearer", "bearerFormat", "JWT");
    resp_data(r, 200, doc);
}
