/* validate_decl.c — the request validators driven by schemas.def: a
 * handler names a shape and a field, and presence, bounds, choices, blank
 * and null rules come from that field's declaration, the same one the
 * OpenAPI document and docs/API.md show. The reading itself is validate.c's
 * (DRF semantics: trimming, numbers as strings, the standard messages).
 *
 * How a declaration maps onto validate.c's flags:
 *   F_REQ                  V_REQUIRED
 *   T?                     V_NULL_OK (null is taken as absent)
 *   string, string(..N)    blank allowed (V_BLANK_OK); string(1..N) or
 *                          string(M..N) with M >= 1: blank refused, at
 *                          least M code points when M > 1; at most N
 *   email(..N)             V_EMAIL, as string
 *   enum:a|b               val_choice over a, b
 *   boolean, integer(L..H) val_bool, val_int within [L, H] */
#include "api/validate.h"
#include "api/openapi/document.h"
#include "api/openapi/types.h"

#include "util/log.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define CHOICES_MAX 16
#define CHOICE_TEXT 256

/* The declaration of shape.name, or -1 with a field error when there is
 * none (a handler naming an undeclared field is a bug the suite shows). */
static int declared(const char *shape, const char *name, json_t *errs, oas_scalar *sc,
                    bool *required)
{
    int presence = F_OPT;
    const char *type = oas_field_type(shape, name, &presence);
    if (!type || oas_scalar_parse(type, sc) != 0) {
        log_error("schemas.def: %s.%s is not a declared scalar field", shape, name);
        val_error(errs, name, "This field is not declared.");
        return -1;
    }
    *required = presence == F_REQ;
    return 0;
}

static int read_choice(json_t *body, const char *name, const oas_scalar *sc, unsigned flags,
                       json_t *errs, char **out)
{
    char text[CHOICE_TEXT];
    const char *list[CHOICES_MAX + 1];
    size_t n = 0;
    snprintf(text, sizeof text, "%s", sc->choices);
    size_t len = strlen(text);
    if (len && text[len - 1] == '?')
        text[len - 1] = '\0';
    for (char *p = text, *bar; p && n < CHOICES_MAX; p = bar ? bar + 1 : NULL) {
        bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        list[n++] = p;
    }
    list[n] = NULL;
    return val_choice(body, name, list, flags, errs, out);
}

int val_decl_str(json_t *body, const char *shape, const char *name, json_t *errs, char **out)
{
    oas_scalar sc;
    bool required;
    if (declared(shape, name, errs, &sc, &required) != 0)
        return -1;
    unsigned flags = (required ? V_REQUIRED : 0) | (sc.nullable ? V_NULL_OK : 0);
    if (strcmp(sc.base, "enum") == 0)
        return read_choice(body, name, &sc, flags, errs, out);
    if (strcmp(sc.base, "email") == 0)
        flags |= V_EMAIL;
    else if (strcmp(sc.base, "string") != 0) {
        val_error(errs, name, "This field is not declared as a string.");
        return -1;
    }
    if (!sc.has_lo || sc.lo < 1)
        flags |= V_BLANK_OK;
    size_t min = sc.has_lo && sc.lo > 1 ? (size_t)sc.lo : 0;
    size_t max = sc.has_hi ? (size_t)sc.hi : 0;
    return val_str(body, name, flags, min, max, errs, out);
}

int val_decl_bool(json_t *body, const char *shape, const char *name, json_t *errs, bool *out)
{
    oas_scalar sc;
    bool required;
    if (declared(shape, name, errs, &sc, &required) != 0)
        return -1;
    if (strcmp(sc.base, "boolean") != 0) {
        val_error(errs, name, "This field is not declared as a boolean.");
        return -1;
    }
    if (sc.nullable && json_is_null(json_object_get(body, name)))
        return 0;
    return val_bool(body, name, required, errs, out);
}

int val_decl_int(json_t *body, const char *shape, const char *name, json_t *errs,
                 long long *out)
{
    oas_scalar sc;
    bool required;
    if (declared(shape, name, errs, &sc, &required) != 0)
        return -1;
    if (strcmp(sc.base, "integer") != 0) {
        val_error(errs, name, "This field is not declared as an integer.");
        return -1;
    }
    return val_int(body, name, required, sc.has_lo ? sc.lo : LLONG_MIN,
                   sc.has_hi ? sc.hi : LLONG_MAX, errs, out);
}
