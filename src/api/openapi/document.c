/* document.c — the OpenAPI 3.1 document: one operation per route of the
 * route table, its request and response shapes from schemas.def, the
 * envelope around every JSON answer, and the error answers each route can
 * give. Which errors: 400 with a request body (or a listed reason), 401 and
 * 429 unless public, 403 in a workspace, 404 with a path id, 413 for a body
 * past the limit (any method; uploads answer 400), 500 and 503 (out of
 * memory) always, 304 on every
 * GET but the streamed export, plus the ones operations.def lists. */
#include "api/openapi/document.h"
#include "api/access.h"
#include "api/api.h"

#include <stdio.h>
#include <string.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

typedef struct op_note {
    const char *method, *pattern, *tag;
    int status;
    const char *errors, *summary;
} op_note;

static const op_note notes[] = {
#define OP(method, pattern, tag, status, errors, summary) \
    { #method, pattern, tag, status, errors, summary },
#include "api/operations.def"
#undef OP
};
#define NNOTES (sizeof notes / sizeof notes[0])

/* Query parameters of the routes that read any (API.md §5, D13). */
static const struct { const char *pattern, *names; } queries[] = {
    { "/api/workspaces", "limit offset" },
    { "/api/workspaces/{wid}/team", "limit offset" },
    { "/api/workspaces/{wid}/conversations", "limit offset" },
    { "/api/workspaces/{wid}/memories", "search sortBy limit offset" },
    { "/api/workspaces/{wid}/activity", "limit offset" },
    { "/api/invitations", "limit offset" },
    { "/api/integrations", "limit offset" },
    { "/api/mcp/listMemories", "conversation_id limit offset" },
};

static const char *const tags[][2] = {
    { "system", "Health, metrics and this document" },
    { "auth", "Accounts and tokens" },
    { "workspaces", "Workspaces, their stats and activity" },
    { "team", "Members, roles and invitations sent" },
    { "conversations", "Conversations, messages and injected memories" },
    { "memories", "Memories, imports and search" },
    { "invitations", "Invitations received" },
    { "integrations", "Provider keys" },
    { "models", "Models to chat with" },
    { "mcp", "Legacy and MCP endpoints" },
    { "settings", "Settings, export and account" },
};

static const op_note *note_for(const route *rt)
{
    for (size_t i = 0; i < NNOTES; i++)
        if (strcmp(notes[i].method, rt->method) == 0 && strcmp(notes[i].pattern, rt->pattern) == 0)
            return &notes[i];
    return NULL;
}

static bool lists_status(const char *list, int status)
{
    char s[8];
    snprintf(s, sizeof s, "%d", status);
    for (const char *p = strstr(list, s); p; p = strstr(p + 1, s))
        if ((p == list || p[-1] == ' ') && (p[3] == '\0' || p[3] == ' '))
            return true;
    return false;
}

static const char *query_names(const char *pattern)
{
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
        if (strcmp(queries[i].pattern, pattern) == 0)
            return queries[i].names;
    return NULL;
}

static json_t *ref(const char *kind, const char *name)
{
    return json_pack("{s:s+++}", "$ref", "#/components/", kind, "/", name);
}

static json_t *json_content(json_t *schema)
{
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

/* {ok: true, data: <shape>, error: null} */
static json_t *envelope(json_t *data)
{
    return json_pack("{s:s,s:[s,s,s],s:b,s:{s:{s:b},s:o,s:{s:s}}}", "type", "object",
                     "required", "ok", "data", "error", "additionalProperties", 0,
                     "properties", "ok", "const", 1, "data", data, "error", "type", "null");
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 304: return "Not Modified: the If-None-Match tag still matches; empty body";
    case 400: return "Bad request: malformed JSON, field errors {field: [messages]} or a rule broken";
    case 401: return "No, invalid or expired token";
    case 403: return "Not a member, or the role is too low";
    case 404: return "Unknown id (or not the caller's)";
    case 405: return "Method not allowed on this path";
    case 410: return "Gone";
    case 413: return "Request body too large";
    case 429: return "Too many requests; Retry-After says when to try again";
    case 500: return "Internal server error";
    case 502: return "An upstream provider (model or embedder) failed";
    case 503: return "The server is out of memory; Retry-After says when to try again";
    default: return "Error";
    }
}

/* GETs answer 200 with an ETag and 304 to a matching If-None-Match, except
 * what is streamed (the export). */
static bool conditional(const route *rt)
{
    return strcmp(rt->method, "GET") == 0 && !(oas_shape_kind(rt->response) & S_STREAM);
}

static json_t *error_response(const route *rt, int status)
{
    bool send = strcmp(rt->response, "SendResult") == 0 &&
                (status == 400 || status == 429 || status == 500 || status == 502);
    json_t *schema = send ? json_pack("{s:[o,o]}", "anyOf", ref("schemas", "Error"),
                                      ref("schemas", "SendFailureEnvelope"))
                          : ref("schemas", "Error");
    json_t *r = json_pack("{s:s,s:o}", "description", reason(status), "content",
                          json_content(schema));
    if (status == 429 || status == 503)
        json_object_set_new(r, "headers", json_pack("{s:o}", "Retry-After",
                                                    ref("headers", "Retry-After")));
    return r;
}

static json_t *success_response(const route *rt, int status)
{
    int kind = oas_shape_kind(rt->response);
    json_t *r = json_pack("{s:s}", "description", reason(status)), *content;
    if (kind & S_TEXT)
        content = json_pack("{s:{s:o}}", "text/plain", "schema", ref("schemas", rt->response));
    else if (kind & S_RAW)
        content = json_content(ref("schemas", rt->response));
    else
        content = json_content(envelope(ref("schemas", rt->response)));
    json_object_set_new(r, "content", content);
    json_t *headers = json_object();
    if (conditional(rt)) {
        json_object_set_new(headers, "ETag", ref("headers", "ETag"));
        json_object_set_new(headers, "Cache-Control", ref("headers", "Cache-Control"));
    }
    if (strcmp(rt->response, "ExportFile") == 0)
        json_object_set_new(headers, "Content-Disposition", ref("headers", "Content-Disposition"));
    if (json_object_size(headers))
        json_object_set_new(r, "headers", headers);
    else
        json_decref(headers);
    return r;
}

/* A reply streamed as server-sent events (Accept: text/event-stream). */
static json_t *stream_response(void)
{
    return json_pack("{s:s,s:{s:{s:{s:s,s:s}}}}", "description",
        "With Accept: text/event-stream, the reply as server-sent events: `delta` "
        "{\"content\": str} while the model writes, then `done` (the object the JSON answer "
        "carries in data) or `error`", "content", "text/event-stream", "schema", "type",
        "string", "contentMediaType", "text/event-stream");
}

static json_t *responses(const route *rt, const op_note *n)
{
    json_t *out = json_object();
    bool body = strcmp(rt->request, "-") != 0, pub = rt->flags & ROUTE_PUBLIC;
    char code[8];
    snprintf(code, sizeof code, "%d", n->status);
    json_object_set_new(out, code, n->status >= 400 ? error_response(rt, n->status)
                                                    : success_response(rt, n->status));
    if (conditional(rt))
        json_object_set_new(out, "304", ref("responses", "NotModified"));
    if (strcmp(rt->response, "SendResult") == 0)
        json_object_set_new(out, "200", stream_response());
    static const int errs[] = { 400, 401, 403, 404, 413, 429, 500, 502, 503 };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        int s = errs[i];
        bool on = lists_status(n->errors, s) || s == 500 || s == 503 ||
                  (s == 400 && (body || (query_names(rt->pattern) && strstr(query_names(rt->pattern), "limit")))) ||
                  ((s == 401 || s == 429) && !pub) ||
                  (s == 403 && rt->scope != RS_NONE) ||
                  (s == 404 && strchr(rt->pattern, '{')) ||
                  (s == 413 && !(rt->flags & ROUTE_UPLOAD));   /* uploads say 400 */
        snprintf(code, sizeof code, "%d", s);
        if (on && s != n->status)
            json_object_set_new(out, code, error_response(rt, s));
    }
    return out;
}

static json_t *parameters(const route *rt)
{
    json_t *ps = json_array();
    for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        json_array_append_new(ps, json_pack("{s:s#,s:s,s:b,s:{s:s}}", "name", p + 1,
                              (int)(end - p - 1), "in", "path", "required", 1, "schema",
                              "type", "string"));
    }
    const char *q = query_names(rt->pattern);
    while (q && *q) {
        size_t len = strcspn(q, " ");
        bool num = strncmp(q, "limit", len) == 0 || strncmp(q, "offset", len) == 0;
        json_array_append_new(ps, json_pack("{s:s#,s:s,s:{s:s}}", "name", q, (int)len, "in",
                              "query", "schema", "type", num ? "integer" : "string"));
        q += len + (q[len] == ' ');
    }
    return ps;
}

static json_t *request_body(const route *rt)
{
    if (strcmp(rt->request, "-") == 0)
        return NULL;
    if (rt->flags & ROUTE_UPLOAD)
        return json_pack("{s:b,s:{s:{s:o,s:{s:{s:s}}}}}", "required", 1, "content",
                         "multipart/form-data", "schema", ref("schemas", rt->request),
                         "encoding", "file", "contentType", "application/octet-stream");
    return json_pack("{s:b,s:o}", "required", 0, "content",
                     json_content(ref("schemas", rt->request)));
}

static json_t *operation(const route *rt, const op_note *n)
{
    json_t *op = json_pack("{s:s,s:[s],s:s,s:o}", "operationId", "", "tags", n->tag,
                           "summary", n->summary, "responses", responses(rt, n));
    /* operationId: method + path words in camelCase (getWorkspacesWidTeam) */
    char id[160];
    size_t k = 0;
    for (const char *m = rt->method; *m && k < sizeof id - 1; m++)
        id[k++] = (char)(*m | 0x20);
    bool up = true;
    for (const char *p = rt->pattern + 4; *p && k < sizeof id - 1; p++) {
        if (*p == '/' || *p == '-' || *p == '{' || *p == '}' || *p == '.') {
            up = true;
            continue;
        }
        id[k++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
        up = false;
    }
    id[k] = '\0';
    json_object_set_new(op, "operationId", json_string(id));
    json_t *ps = parameters(rt);
    if (json_array_size(ps))
        json_object_set_new(op, "parameters", ps);
    else
        json_decref(ps);
    json_t *rb = request_body(rt);
    if (rb)
        json_object_set_new(op, "requestBody", rb);
    json_object_set_new(op, "security", (rt->flags & ROUTE_PUBLIC) ? json_array()
                        : json_pack("[{s:[]}]", "bearer"));
    const char *role = api_role_name(rt->role);
    if (role)
        json_object_set_new(op, "x-min-role", json_string(role));
    if (rt->denied)
        json_object_set_new(op, "x-denied-message", json_string(rt->denied));
    return op;
}

static json_t *paths(void)
{
    size_t n;
    const route *rt = api_routes(&n);
    json_t *out = json_object();
    for (size_t i = 0; i < n; i++) {
        const op_note *note = note_for(&rt[i]);
        if (!note) {
            json_decref(out);
            return NULL;
        }
        json_t *item = json_object_get(out, rt[i].pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(out, rt[i].pattern, item);
        }
        char lower[8] = { 0 };
        for (size_t k = 0; k < sizeof lower - 1 && rt[i].method[k]; k++)
            lower[k] = (char)(rt[i].method[k] | 0x20);
        json_object_set_new(item, lower, operation(&rt[i], note));
    }
    return out;
}

/* What every operation shares: the error envelope, headers, responses. */
static json_t *components(void)
{
    json_t *schemas = oas_components();
    if (!schemas)
        return NULL;
    json_object_set_new(schemas, "FieldErrors", json_pack(
        "{s:s,s:s,s:{s:[{s:s,s:{s:s}},{s:s,s:{s:s,s:{s:s}}}]}}", "type", "object",
        "description", "Field name to messages (DRF wording); list fields may map indexes "
        "to messages.", "additionalProperties", "anyOf", "type", "array", "items", "type",
        "string", "type", "object", "additionalProperties", "type", "array", "items", "type",
        "string"));
    json_object_set_new(schemas, "Error", json_pack(
        "{s:s,s:s,s:[s,s,s],s:b,s:{s:{s:b},s:{s:s},s:{s:[{s:s},o]}}}", "type", "object",
        "description", "A failure: a message, or field errors (400).", "required", "ok",
        "data", "error", "additionalProperties", 0, "properties", "ok", "const", 0, "data",
        "type", "null", "error", "anyOf", "type", "string", ref("schemas", "FieldErrors")));
    json_object_set_new(schemas, "SendFailureEnvelope", json_pack(
        "{s:s,s:s,s:[s,s,s],s:b,s:{s:{s:b},s:o,s:{s:s}}}", "type", "object", "description",
        "A reply that failed after the user message was stored.", "required", "ok", "data",
        "error", "additionalProperties", 0, "properties", "ok", "const", 0, "data",
        ref("schemas", "SendFailure"), "error", "type", "string"));
    json_t *headers = json_pack(
        "{s:{s:s,s:b,s:{s:s,s:s}},s:{s:s,s:b,s:{s:s,s:[s]}},s:{s:s,s:{s:s,s:i}},"
        "s:{s:s,s:{s:s,s:s}}}",
        "ETag", "description", "Strong validator of the body, for If-None-Match.", "required", 1,
        "schema", "type", "string", "pattern", "^\"[^\"]+\"$",
        "Cache-Control", "description", "Revalidate before reuse.", "required", 1, "schema",
        "type", "string", "enum", "private, no-cache",
        "Retry-After", "description", "Seconds to wait.", "schema", "type", "integer",
        "minimum", 0,
        "Content-Disposition", "description", "attachment; filename=\"chimera_data_export_"
        "<YYYYmmdd_HHMMSS>.json\"", "schema", "type", "string", "pattern", "^attachment;");
    json_t *responses = json_pack(
        "{s:{s:s},s:{s:s,s:o},s:{s:s,s:o}}",
        "NotModified", "description", reason(304),
        "NotFound", "description", "No such path", "content", json_content(ref("schemas", "Error")),
        "MethodNotAllowed", "description", reason(405), "content",
        json_content(ref("schemas", "Error")));
    return json_pack("{s:o,s:o,s:o,s:{s:{s:s,s:s,s:s}}}", "schemas", schemas, "headers",
                     headers, "responses", responses, "securitySchemes", "bearer", "type",
                     "http", "scheme", "bearer", "bearerFormat", "JWT");
}

json_t *oas_document(void)
{
    json_t *p = paths(), *c = p ? components() : NULL;
    if (!c) {
        json_decref(p);
        return NULL;
    }
    json_t *t = json_array();
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        json_array_append_new(t, json_pack("{s:s,s:s}", "name", tags[i][0], "description",
                                           tags[i][1]));
    return json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:s},s:[{s:s,s:s}],s:o,s:o,s:o,s:{s:o,s:o}}",
        "openapi", "3.1.0", "jsonSchemaDialect", "https://spec.openapis.org/oas/3.1/dialect/base",
        "info", "title", "Chimera API", "version", CHIMERA_VERSION, "description",
        "The REST API of the Chimera Protocol frontend. Every JSON answer is the envelope "
        "{ok, data, error} except the export file and this document.",
        "servers", "url", "/", "description", "This server",
        "tags", t, "paths", p, "components", c,
        "x-unmatched", "path", ref("responses", "NotFound"), "method",
        ref("responses", "MethodNotAllowed"));
}

bool oas_consistent(char *why, size_t cap)
{
    size_t n;
    const route *rt = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (!note_for(&rt[i])) {
            snprintf(why, cap, "%s %s has no line in operations.def", rt[i].method, rt[i].pattern);
            return false;
        }
        const char *names[2] = { rt[i].request, rt[i].response };
        for (int k = 0; k < 2; k++)
            if (strcmp(names[k], "-") != 0 && oas_shape_kind(names[k]) < 0 &&
                note_for(&rt[i])->status < 400) {
                snprintf(why, cap, "%s %s: shape %s is not in schemas.def", rt[i].method,
                         rt[i].pattern, names[k]);
                return false;
            }
    }
    for (size_t i = 0; i < NNOTES; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = strcmp(notes[i].method, rt[k].method) == 0 &&
                    strcmp(notes[i].pattern, rt[k].pattern) == 0;
        if (!found) {
            snprintf(why, cap, "operations.def: %s %s is not a route", notes[i].method,
                     notes[i].pattern);
            return false;
        }
    }
    return true;
}
