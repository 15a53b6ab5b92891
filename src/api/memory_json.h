/* memory_json.h — JSON of memories (shared by memories, search, imports
 * and MCP handlers). Each returns a new reference. */
#ifndef CHIMERA_API_MEMORY_JSON_H
#define CHIMERA_API_MEMORY_JSON_H

#include "store/memories.h"

#include <jansson.h>

json_t *memory_json(const memory_row *m);
json_t *memory_metadata_json(const memory_row *m);
json_t *memory_vector_json(const float *v, size_t dim);

#endif
