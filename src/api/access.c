/* access.c — see access.h. */
#include "api/access.h"

#include "api/api.h"
#include "api/validate.h"
#include "http/response.h"

#include <stdlib.h>

int api_ws_member(http_req *r, const char *wid, ws_role *role)
{
    st_rc st = ws_access(wid, r->user->user.id, role);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_WS_NOT_FOUND);
        return -1;
    }
    if (*role == ROLE_NONE) {
        resp_error(r, 403, MSG_ACCESS_DENIED);
        return -1;
    }
    return 0;
}

int api_ws_writer(http_req *r, const char *wid, ws_role *role)
{
    if (api_ws_member(r, wid, role) != 0)
        return -1;
    if (*role == ROLE_OBSERVER) {
        resp_error(r, 403, MSG_READ_ONLY);
        return -1;
    }
    return 0;
}

/* One query parameter as a DRF IntegerField in [lo, hi]. */
static int query_int(http_req *r, const char *name, long long lo, long long hi,
                     json_t *errs, long long *out)
{
    const char *v = req_query(r, name);
    if (!v)
        return 0;
    json_t *holder = json_pack("{s:s}", name, v);     /* NULL if not UTF-8 */
    if (!holder) {
        val_error(errs, name, "A valid integer is required.");
        return -1;
    }
    int rc = val_int(holder, name, false, lo, hi, errs, out);
    json_decref(holder);
    return rc;
}

int api_page(http_req *r, int64_t dflt_limit, page *pg)
{
    json_t *errs = json_object();
    long long limit = dflt_limit, offset = 0;
    query_int(r, "limit", 1, 1000, errs, &limit);
    query_int(r, "offset", 0, 1000000000, errs, &offset);
    if (json_object_size(errs)) {
        resp_fields(r, errs);
        return -1;
    }
    json_decref(errs);
    pg->limit = limit;
    pg->offset = offset;
    return 0;
}
