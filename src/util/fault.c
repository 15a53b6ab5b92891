/* fault.c — see fault.h. Empty unless built with -DCHIMERA_FAULTS. */
#include "util/fault.h"

#ifdef CHIMERA_FAULTS
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[FAULT_KINDS] = { "db_step", "db_commit", "xfer", "alloc",
                                                 "file_write" };
static _Atomic long countdown[FAULT_KINDS];
static atomic_bool fired;
static _Thread_local bool exempt;
static _Thread_local int paused;

void fault_exempt_thread(void)
{
    exempt = true;
}

void fault_pause(void)
{
    paused++;
}

void fault_resume(void)
{
    paused--;
}

static _Atomic unsigned long armings;

unsigned long fault_arm(const char *spec)
{
    for (int k = 0; k < FAULT_KINDS; k++)
        atomic_store(&countdown[k], 0);
    atomic_store(&fired, false);
    unsigned long armed = atomic_fetch_add(&armings, 1) + 1;
    const char *colon = spec ? strchr(spec, ':') : NULL;
    if (!colon)
        return armed;
    for (int k = 0; k < FAULT_KINDS; k++) {
        size_t len = strlen(NAMES[k]);
        if ((size_t)(colon - spec) == len && strncmp(spec, NAMES[k], len) == 0) {
            char *end;
            long n = strtol(colon + 1, &end, 10);
            if (*end == '\0' && n > 0)
                atomic_store(&countdown[k], n);
        }
    }
    return armed;
}

void fault_arm_env(void)
{
    const char *spec = getenv("CHIMERA_FAULT");
    if (spec)
        fault_arm(spec);
}

void fault_disarm(unsigned long armed)
{
    if (atomic_load(&armings) == armed)
        for (int k = 0; k < FAULT_KINDS; k++)
            atomic_store(&countdown[k], 0);
}

bool fault_fail(fault_kind kind)
{
    if (exempt || paused || atomic_load(&countdown[kind]) <= 0)
        return false;
    if (atomic_fetch_sub(&countdown[kind], 1) != 1)
        return false;
    atomic_store(&fired, true);
    return true;
}

bool fault_fired(void)
{
    return atomic_load(&fired);
}

/* The allocators chimerad's objects call once linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n)
{
    return fault_fail(FAULT_ALLOC) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fault_fail(FAULT_ALLOC) ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fault_fail(FAULT_ALLOC) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fault_fail(FAULT_ALLOC) ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fault_fail(FAULT_ALLOC) ? NULL : __real_strndup(s, n);
}
#else
typedef int fault_empty_unit;   /* ISO C wants at least one declaration */
#endif
