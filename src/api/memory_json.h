/* memory_json.h — the Memory shape (API.md §4 with D1), written with the
 * streaming writer: lists carry hundreds of vectors of 384 numbers. */
#ifndef CHIMERA_API_MEMORY_JSON_H
#define CHIMERA_API_MEMORY_JSON_H

#include "store/memories.h"
#include "util/jsonw.h"

void write_memory(jsonw *w, const memory_row *m);

/* A whole answer holding one memory (caller frees). */
char *memory_text(const memory_row *m);

#endif
