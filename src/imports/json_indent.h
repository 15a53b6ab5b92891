/* json_indent.h — §8.3 ".json": a JSON text re-serialised the way
 * Python's json.dumps(json.loads(text), indent=2) prints it (ensure_ascii,
 * ": " and "," separators, float repr, key order kept, last duplicate key
 * wins in the first key's place). Parsing is jansson's.
 * On success *out is malloc'd and owned by the caller. */
#ifndef CHIMERA_IMPORTS_JSON_INDENT_H
#define CHIMERA_IMPORTS_JSON_INDENT_H

#include <stddef.h>

/* indent >= 0: newline + indent spaces per level, as Python's indent=n.
 * IMP_JSON_ONELINE: every newline+indent becomes one space, which is what
 * indent=2 output looks like after §8.3's whitespace collapsing, without
 * the quadratic blow-up of deep indentation. */
#define IMP_JSON_ONELINE (-1)

/* Returns 0 and the text in *out and *outlen; 1 if s is not JSON that jansson
 * accepts or nests deeper than Python's json can (990 levels; the caller
 * keeps the raw text); -1 if out of memory or the
 * output would pass max bytes (0 = unlimited). */
int imp_json_indent(const char *s, size_t len, int indent, size_t max,
                    char **out, size_t *outlen);

/* Python's repr(float) into out (>= 32 bytes): shortest round-trip digits,
 * "1.0", "1e+16", "1e-05", "NaN", "Infinity". */
void imp_json_repr_double(double v, char *out, size_t outsz);

#endif
