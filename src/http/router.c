/* router.c — segment-wise matching of a path against route patterns.
 * Literal segments compare exactly; "{name}" takes any non-empty segment.
 * Order in the table is precedence (literal routes are listed before
 * parameterised twins such as /memories/search before /memories/{id}). */
#include "http/router.h"

#include <stdlib.h>
#include <string.h>

/* Compares the next segments; returns the length of the path segment
 * consumed when it matches, -1 otherwise. */
static int seg_match(const char *pat, size_t plen, const char *path, size_t slen)
{
    if (plen >= 2 && pat[0] == '{' && pat[plen - 1] == '}')
        return slen > 0 ? (int)slen : -1;
    return plen == slen && memcmp(pat, path, plen) == 0 ? (int)slen : -1;
}

/* Walks pattern and path together; captures parameters when caps != NULL. */
static int path_walk(const char *pat, const char *path, const char **caps,
                     size_t *caplens, int *ncaps)
{
    int n = 0;
    for (;;) {
        if (*pat != '/' || *path != '/')
            return *pat == '\0' && *path == '\0';
        pat++, path++;
        size_t plen = strcspn(pat, "/"), slen = strcspn(path, "/");
        if (seg_match(pat, plen, path, slen) < 0)
            return 0;
        if (pat[0] == '{' && caps) {
            if (n >= REQ_MAX_PARAMS)
                return 0;
            caps[n] = path;
            caplens[n] = slen;
            n++;
        }
        pat += plen, path += slen;
        if (ncaps)
            *ncaps = n;
    }
}

int router_path_matches(const char *pattern, const char *path)
{
    return path_walk(pattern, path, NULL, NULL, NULL);
}

static int method_is(const route *rt, const char *method)
{
    if (strcmp(rt->method, method) == 0)
        return 1;
    return strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0;
}

route_match router_match(const route *table, size_t n, http_req *r, const route **out)
{
    const char *caps[REQ_MAX_PARAMS];
    size_t lens[REQ_MAX_PARAMS];
    const route *path_seen = NULL;
    for (size_t i = 0; i < n; i++) {
        int ncaps = 0;
        if (!path_walk(table[i].pattern, r->path, caps, lens, &ncaps))
            continue;
        if (!path_seen)
            path_seen = &table[i];
        if (!method_is(&table[i], r->method))
            continue;
        for (int k = 0; k < ncaps; k++)
            r->params[k] = strndup(caps[k], lens[k]);
        r->nparams = ncaps;
        *out = &table[i];
        return ROUTE_FOUND;
    }
    *out = path_seen;
    return path_seen ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
