/* oom.c — see oom.h. */
#include "util/oom.h"

#include "util/fault.h"

#include <jansson.h>
#include <stdlib.h>

static _Thread_local unsigned long failures;

static void *json_counted_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        failures++;
    return p;
}

void oom_watch_json(void)
{
    json_set_alloc_funcs(json_counted_malloc, free);
}

unsigned long oom_failures(void)
{
    return failures;
}

char *json_dumps_whole(const json_t *v, size_t flags)
{
    unsigned long before = failures;
    char *text = json_dumps(v, flags);
    if (text && failures != before) {
        free(text);
        text = NULL;
    }
    return text;
}

json_t *json_parse(const char *text, size_t len, size_t flags, json_error_t *err)
{
    fault_pause();
    json_t *v = json_loadb(text, len, flags, err);
    fault_resume();
    return v;
}
