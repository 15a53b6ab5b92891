/* types.h — the small type language of schemas.def, turned into JSON Schema
 * (2020-12, as OpenAPI 3.1 uses it). A leaf: it knows jansson, not the server.
 *
 *   string  string(1..255)  string(..50)   text with code-point bounds
 *   integer integer(1..100) number boolean with inclusive bounds
 *   object                                  any JSON object (free-form)
 *   any                                     any JSON value
 *   date-time uuid email uri binary         strings with that format
 *   id:workspace                            "workspace-" + 12 lowercase hex
 *   enum:a|b|c                              one of these strings
 *   [T]                                     array of T
 *   Name                                    #/components/schemas/Name
 *   T?                                      T or null
 */
#ifndef CHIMERA_API_OPENAPI_TYPES_H
#define CHIMERA_API_OPENAPI_TYPES_H

#include <jansson.h>

/* The JSON Schema of spec (new reference), or NULL when spec is malformed. */
json_t *oas_type(const char *spec);

/* An example value for spec (new reference; NULL for a component reference,
 * whose own fields carry examples). */
json_t *oas_example(const char *spec);

#endif
