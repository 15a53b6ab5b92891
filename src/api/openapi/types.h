/* types.h — the small type language of schemas.def, turned into JSON Schema
 * (2020-12, as OpenAPI 3.1 uses it). A leaf: it knows jansson, not the server.
 *
 *   string  string(1..255)  string(..50)   text with code-point bounds
 *   integer integer(1..100) number boolean with inclusive bounds
 *   object                                  any JSON object (free-form)
 *   any                                     any JSON value
 *   date-time uuid email uri binary         strings with that format
 *   email(..254)                            (formats take length bounds too)
 *   id:workspace                            "workspace-" + 12 lowercase hex
 *   enum:a|b|c                              one of these strings
 *   [T]                                     array of T
 *   Name                                    #/components/schemas/Name
 *   T?                                      T or null
 */
#ifndef CHIMERA_API_OPENAPI_TYPES_H
#define CHIMERA_API_OPENAPI_TYPES_H

#include <jansson.h>
#include <stdbool.h>

/* A scalar spec taken apart, for the request validators. */
typedef struct oas_scalar {
    char base[32];              /* "string", "email", "integer", "enum", … */
    bool nullable;
    bool has_lo, has_hi;
    long lo, hi;
    const char *choices;        /* "a|b|c" inside spec, for enum */
} oas_scalar;

/* Splits a scalar spec (no arrays, no references); -1 if it is not one. */
int oas_scalar_parse(const char *spec, oas_scalar *out);

/* The JSON Schema of spec (new reference), or NULL when spec is malformed. */
json_t *oas_type(const char *spec);

/* An example value for spec (new reference; NULL for a component reference,
 * whose own fields carry examples). */
json_t *oas_example(const char *spec);

#endif
