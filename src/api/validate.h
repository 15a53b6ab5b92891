/* validate.h — request bodies and DRF-style field validation (API.md §1.3).
 * Errors accumulate in a field-error object {"field": ["message", …]} so
 * one answer names every invalid field. */
#ifndef CHIMERA_API_VALIDATE_H
#define CHIMERA_API_VALIDATE_H

#include "http/request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum val_flags {
    V_REQUIRED = 1 << 0,    /* missing → "This field is required." */
    V_BLANK_OK = 1 << 1,    /* "" (after trimming) is accepted */
    V_NULL_OK = 1 << 2,     /* null is treated as absent */
    V_EMAIL = 1 << 3,       /* Django's EmailValidator */
    V_NO_TRIM = 1 << 4,     /* keep surrounding whitespace */
};

/* Parses the body as a JSON object ({} when empty). On failure answers 400
 * (JSON parse error, nesting, not an object) and returns NULL. Caller owns
 * the result. */
json_t *val_body(http_req *r);

/* True, with r answered 400 {field: [messages]}, when errs holds any field
 * error (the caller keeps its own reference to errs). */
bool val_failed(http_req *r, json_t *errs);

/* Appends msg to errs[field]. */
void val_error(json_t *errs, const char *field, const char *msg);

/* Marks errs as failed for want of memory: resp_fields() answers 503. */
void val_no_memory(json_t *errs);

/* Reads a DRF CharField: numbers become strings, bools/lists/objects are
 * "Not a valid string.", values are trimmed, lengths count code points
 * (max 0 = unlimited). Returns 1 and a malloc'd *out when a value was read,
 * 0 when absent (or null with V_NULL_OK), -1 when an error was recorded. */
int val_str(json_t *body, const char *name, unsigned flags, size_t min, size_t max,
            json_t *errs, char **out);

/* DRF ChoiceField over a NULL-terminated list: reads like val_str, and a
 * value outside the list records "\"<value>\" is not a valid choice.". */
int val_choice(json_t *body, const char *name, const char *const *choices, unsigned flags,
               json_t *errs, char **out);

/* Python's type() name of a JSON value (for DRF's "got type" messages). */
const char *val_py_type(const json_t *v);

/* DRF BooleanField: true/false, 1/0, "true"/"false", "yes"/"no", "on"/"off"
 * … Returns 1 when read, 0 when absent, -1 on error ("Must be a valid
 * boolean."). */
int val_bool(json_t *body, const char *name, bool required, json_t *errs, bool *out);

/* DRF IntegerField within [lo, hi]. Returns like val_bool. */
int val_int(json_t *body, const char *name, bool required, long long lo, long long hi,
            json_t *errs, long long *out);

/* The readers above, with presence, bounds, choices, blank and null rules
 * from the declaration of shape.name in schemas.def (api/validate_decl.c). */
int val_decl_str(json_t *body, const char *shape, const char *name, json_t *errs, char **out);
int val_decl_bool(json_t *body, const char *shape, const char *name, json_t *errs, bool *out);
int val_decl_int(json_t *body, const char *shape, const char *name, json_t *errs,
                 long long *out);

/* True if v is "truthy" in Python's sense (profile updates apply only
 * truthy values). */
bool val_truthy(const json_t *v);

#endif
