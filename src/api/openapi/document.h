/* document.h — the OpenAPI 3.1 document of this server, built from the
 * route table (routes.def), the shapes (schemas.def) and the operations'
 * notes (operations.def). GET /api/openapi.json serves it raw, GET
 * /api/schema inside the envelope, `chimerad openapi` prints it. */
#ifndef CHIMERA_API_OPENAPI_DOCUMENT_H
#define CHIMERA_API_OPENAPI_DOCUMENT_H

#include <jansson.h>
#include <stdbool.h>

/* Shape kinds of schemas.def. */
enum oas_shape_kind {
    S_RESPONSE = 1,             /* exactly the declared fields */
    S_REQUEST = 2,              /* declared fields; unknown ones ignored */
    S_OPEN = 3,                 /* declared fields are examples; any keys */
    S_RAW = 1 << 4,             /* sent without the envelope */
    S_TEXT = 1 << 5,            /* a text/plain body, not JSON */
    S_STREAM = 1 << 6,          /* streamed as it is made: no ETag, no 304 */
};
enum oas_presence { F_OPT = 0, F_REQ = 1 };

/* A new reference to the whole document (NULL on a malformed declaration,
 * which the unit tests rule out). */
json_t *oas_document(void);

/* The component schema of one shape (new reference), or NULL if unknown. */
json_t *oas_shape(const char *name);

/* Every shape of schemas.def as components/schemas (new reference). */
json_t *oas_components(void);

/* The declared type of shape.field (types.h), its presence in *presence;
 * NULL if schemas.def declares no such field. */
const char *oas_field_type(const char *shape, const char *field, int *presence);

/* The kind of a shape (enum oas_shape_kind), -1 if unknown. */
int oas_shape_kind(const char *name);

/* Whether every route has one operation line and every shape a route names
 * is declared; the first problem goes to why. */
bool oas_consistent(char *why, size_t cap);

#endif
