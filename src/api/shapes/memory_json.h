/* memory_json.h — the Memory shape (API.md §4 with D1), written with the
 * streaming writer: lists carry hundreds of vectors of 384 numbers. */
#ifndef CHIMERA_API_MEMORY_JSON_H
#define CHIMERA_API_MEMORY_JSON_H

#include "http/request.h"
#include "store/memories.h"
#include "util/jsonw.h"

void write_memory(jsonw *w, const memory_row *m);

/* A whole answer holding one memory (caller frees). */
char *memory_text(const memory_row *m);

/* Answers {memories: [rows in order (identity when NULL)], total}. */
void api_reply_memories(http_req *r, const memory_row *rows, const size_t *order, size_t n,
                        int64_t total);

#endif
