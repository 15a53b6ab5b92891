/* dynlib.c — see dynlib.h. */
#include "util/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

int dynlib_load(const char *const *sonames, const dynlib_sym *syms, size_t nsyms, char *err,
                size_t errsz)
{
    const char *why = "no library name";
    for (const char *const *so = sonames; *so; so++) {
        void *h = dlopen(*so, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            why = dlerror();
            continue;
        }
        size_t i = 0;
        for (; i < nsyms; i++) {
            void *p = dlsym(h, syms[i].name);
            if (!p)
                break;
            *syms[i].slot = p;
        }
        if (i == nsyms)
            return 0;
        snprintf(err, errsz, "%s lacks %s", *so, syms[i].name);
        dlclose(h);
        return -1;
    }
    snprintf(err, errsz, "%s", why ? why : "cannot load");
    return -1;
}
