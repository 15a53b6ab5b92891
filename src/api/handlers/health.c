/* health.c — GET /api/health: liveness plus a database probe. */
#include "api/handlers.h"
#include "api/shapes/serialize.h"

#include "http/response.h"
#include "store/store.h"
#include "util/isotime.h"
#include "util/jsonx.h"

#include <stdio.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

void h_health(http_req *r)
{
    char why[128], db[160];
    if (store_ping(why, sizeof why) == ST_OK)
        snprintf(db, sizeof db, "connected");
    else
        snprintf(db, sizeof db, "error: %s", why);
    json_t *o = json_put(json_object(), "status", json_string("healthy"));
    o = json_put(o, "timestamp", json_ts_offset(time_now_us()));
    o = json_put(o, "database", json_string(db));
    resp_data(r, 200, json_put(o, "version", json_string(CHIMERA_VERSION)));
}
