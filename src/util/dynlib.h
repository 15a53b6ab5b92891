/* dynlib.h — optional libraries opened at first use (dlopen), so a chimerad
 * that never reads a PDF or runs the local model maps neither poppler (with
 * GLib, cairo, …) nor OpenBLAS: several MiB of resident memory and, for
 * OpenBLAS, an idle thread per core saved for everyone else. */
#ifndef CHIMERA_UTIL_DYNLIB_H
#define CHIMERA_UTIL_DYNLIB_H

#include <stddef.h>

typedef struct dynlib_sym {
    const char *name;
    void **slot;            /* receives the address (a function pointer's storage) */
} dynlib_sym;

/* Opens the first library of sonames (NULL-terminated) that loads and
 * resolves every symbol into its slot. 0, or -1 with the reason in err.
 * Libraries stay loaded for the life of the process. */
int dynlib_load(const char *const *sonames, const dynlib_sym *syms, size_t nsyms, char *err,
                size_t errsz);

#endif
