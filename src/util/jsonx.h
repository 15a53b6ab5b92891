/* jsonx.h — building jansson values without losing a failed step.
 * json_object_set_new() and json_array_append_new() report a failed
 * allocation by their return value, which is easy to drop: the answer then
 * goes out without the field or the item. These two take the container
 * and give it back, or NULL (having freed it) when the step failed — or an
 * earlier one: a chain `o = json_put(o, …)` ends NULL if any step failed,
 * and NULL data is answered as out of memory, never sent short. */
#ifndef CHIMERA_UTIL_JSONX_H
#define CHIMERA_UTIL_JSONX_H

#include <jansson.h>

/* o[key] = v (v taken, NULL v a failure). */
static inline json_t *json_put(json_t *o, const char *key, json_t *v)
{
    if (json_object_set_new(o, key, v) == 0)
        return o;
    json_decref(o);
    return NULL;
}

/* Appends v (taken, NULL v a failure) to a. */
static inline json_t *json_push(json_t *a, json_t *v)
{
    if (json_array_append_new(a, v) == 0)
        return a;
    json_decref(a);
    return NULL;
}

#endif
