/* fuzz_router.c — libFuzzer target for paths through src/http/router.c
 * over the real route table (src/api/routes.def). Input: 1 byte choosing
 * the method, then the path. A found route's pattern must match the path,
 * its captured parameters must be non-empty segments without '/', and a
 * 405 must name a route of the same path. Built and run by
 * tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/request.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const METHODS[] = { "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH",
                                       "OPTIONS", "get" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    http_req r;
    memset(&r, 0, sizeof r);
    r.method = METHODS[data[0] % (sizeof METHODS / sizeof *METHODS)];
    r.path = malloc(size);
    if (!r.path)
        return 0;
    memcpy(r.path, data + 1, size - 1);
    r.path[size - 1] = '\0';        /* a NUL inside ends the path, as in C strings */
    size_t n;
    const route *table = api_routes(&n), *found = NULL;
    route_match m = router_match(table, n, &r, &found);
    if (m == ROUTE_FOUND) {
        assert(found && router_path_matches(found->pattern, r.path));
        for (int i = 0; i < r.nparams; i++)
            assert(r.params[i] && *r.params[i] && !strchr(r.params[i], '/'));
    } else if (m == ROUTE_NO_METHOD) {
        assert(found && router_path_matches(found->pattern, r.path));
    } else {
        assert(!found);
    }
    for (int i = 0; i < r.nparams; i++)
        free(r.params[i]);
    free(r.path);
    return 0;
}
