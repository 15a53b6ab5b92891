/* jsonw.h — a streaming JSON writer into a bounded buffer, for the hot
 * list endpoints: building a jansson tree and dumping it costs an
 * allocation per value, which dominated GET /api/workspaces. Commas are
 * placed automatically; strings are escaped; the caller keeps nesting
 * balanced. Errors (allocation) are sticky: jw_finish() then gives NULL. */
#ifndef CHIMERA_UTIL_JSONW_H
#define CHIMERA_UTIL_JSONW_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

typedef struct jsonw {
    buf b;
    int depth;
    bool first[JW_MAX_DEPTH];   /* no value written yet at this level */
    bool after_key;
    bool failed;
} jsonw;

void jw_init(jsonw *w);
void jw_obj(jsonw *w);              /* { */
void jw_obj_end(jsonw *w);          /* } */
void jw_arr(jsonw *w);              /* [ */
void jw_arr_end(jsonw *w);          /* ] */
void jw_key(jsonw *w, const char *key);
void jw_str(jsonw *w, const char *s);           /* NULL writes null */
void jw_int(jsonw *w, int64_t v);
void jw_bool(jsonw *w, bool v);
void jw_null(jsonw *w);
/* A number rounded to 4 decimals, printed shortest ("0.1234", "-0.5", "0"). */
void jw_fixed4(jsonw *w, double v);
/* Inserts an already-serialised JSON value (trusted text). */
void jw_raw(jsonw *w, const char *json);

/* Marks the text failed (a value the caller could not make). */
void jw_fail(jsonw *w);
/* The text (caller frees), NULL if anything failed. */
char *jw_finish(jsonw *w);

/* A list answer {"key": [ … ], "total": N}: jw_list opens it on a fresh
 * writer (jw_init included), jw_list_end closes it and returns jw_finish's
 * text. */
void jw_list(jsonw *w, const char *key);
char *jw_list_end(jsonw *w, int64_t total);

/* Convenience: key + value. */
void jw_kstr(jsonw *w, const char *key, const char *s);
void jw_kint(jsonw *w, const char *key, int64_t v);
void jw_kbool(jsonw *w, const char *key, bool v);

#endif
