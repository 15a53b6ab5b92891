/* shapes.c — the component schemas, from the rows of schemas.def. A shape
 * is an object schema: its fields' types (api/openapi/types.h), examples,
 * descriptions, required list, and whether other keys may appear. */
#include "api/openapi/document.h"
#include "api/openapi/types.h"

#include <string.h>

typedef struct shape_row {
    const char *shape;          /* set on SHAPE rows */
    int kind;
    const char *field;          /* set on FIELD rows */
    const char *type;
    int presence;
    const char *description;
} shape_row;

static const shape_row rows[] = {
#define SHAPE(name, kind, description) { #name, kind, NULL, NULL, 0, description },
#define FIELD(name, type, presence, description) { NULL, 0, name, type, presence, description },
#include "api/schemas.def"
#undef SHAPE
#undef FIELD
};
#define NROWS (sizeof rows / sizeof rows[0])

static void describe(json_t *schema, const char *text)
{
    if (text && *text)
        json_object_set_new(schema, "description", json_string(text));
}

/* One field's schema, or NULL when its type does not parse. */
static json_t *field_schema(const shape_row *f)
{
    json_t *s = oas_type(f->type);
    if (!s)
        return NULL;
    describe(s, f->description);
    json_t *ex = oas_example(f->type);
    if (ex)
        json_object_set_new(s, "examples", json_pack("[o]", ex));
    return s;
}

static json_t *shape_at(size_t i)
{
    const shape_row *h = &rows[i];
    json_t *props = json_object(), *req = json_array();
    json_t *s = json_pack("{s:s}", "type", "object");
    describe(s, h->description);
    for (size_t k = i + 1; k < NROWS && rows[k].field; k++) {
        json_t *f = field_schema(&rows[k]);
        if (!f) {
            json_decref(props);
            json_decref(req);
            json_decref(s);
            return NULL;
        }
        json_object_set_new(props, rows[k].field, f);
        if (rows[k].presence == F_REQ)
            json_array_append_new(req, json_string(rows[k].field));
    }
    if (h->kind & S_TEXT) {
        json_decref(props);
        json_decref(req);
        json_decref(s);
        s = json_pack("{s:s}", "type", "string");
        describe(s, h->description);
        return s;
    }
    json_object_set_new(s, "properties", props);
    if (json_array_size(req))
        json_object_set_new(s, "required", req);
    else
        json_decref(req);
    if ((h->kind & 0xf) == S_RESPONSE)
        json_object_set_new(s, "additionalProperties", json_false());
    return s;
}

static long shape_index(const char *name)
{
    for (size_t i = 0; i < NROWS; i++)
        if (rows[i].shape && strcmp(rows[i].shape, name) == 0)
            return (long)i;
    return -1;
}

json_t *oas_shape(const char *name)
{
    long i = shape_index(name);
    return i < 0 ? NULL : shape_at((size_t)i);
}

int oas_shape_kind(const char *name)
{
    long i = shape_index(name);
    return i < 0 ? -1 : rows[i].kind;
}

json_t *oas_components(void)
{
    json_t *all = json_object();
    for (size_t i = 0; i < NROWS; i++) {
        if (!rows[i].shape)
            continue;
        json_t *s = shape_at(i);
        if (!s) {
            json_decref(all);
            return NULL;
        }
        json_object_set_new(all, rows[i].shape, s);
    }
    return all;
}

const char *oas_field_type(const char *shape, const char *field, int *presence)
{
    long i = shape_index(shape);
    for (size_t k = (size_t)i + 1; i >= 0 && k < NROWS && rows[k].field; k++)
        if (strcmp(rows[k].field, field) == 0) {
            *presence = rows[k].presence;
            return rows[k].type;
        }
    return NULL;
}
