/* workspaces.c — workspaces, stats, dashboard, activity and neural load
 * (API.md §5.2 and §7, with the roles of D6). */
#include "api/access.h"
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "embed/index.h"
#include "http/response.h"
#include "store/activity.h"
#include "store/load.h"
#include "util/isotime.h"
#include "util/jsonx.h"

#include <stdlib.h>

#define FIVE_MIN_US (5 * 60 * 1000000LL)

void h_workspaces_list(http_req *r)
{
    page pg;
    ws_list l;
    if (api_page(r, 0, &pg) != 0)
        return;
    st_rc st = ws_list_for_user(r->user->user.id, pg, &l);
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        return;
    }
    jsonw w;
    jw_list(&w, "workspaces");
    for (size_t i = 0; i < l.n; i++)
        write_workspace(&w, &l.items[i]);
    resp_data_text(r, 200, jw_list_end(&w, l.total));
    ws_list_free(&l);
}

/* Answers with the workspace wid (200/201) or the store error. */
static void reply_workspace(http_req *r, int status, st_rc st, ws_row *w)
{
    if (st != ST_OK) {
        api_store_error(r, st, MSG_WS_NOT_FOUND);
        return;
    }
    jsonw jw;
    jw_init(&jw);
    write_workspace(&jw, w);
    resp_data_text(r, status, jw_finish(&jw));
    ws_row_free(w);
}

void h_workspaces_create(http_req *r)
{
    json_t *body = val_body(r), *errs = json_object();
    char *name = NULL, *description = NULL;
    ws_row w;
    if (!body)
        goto out;
    val_decl_str(body, "WorkspaceCreate", "name", errs, &name);
    val_decl_str(body, "WorkspaceCreate", "description", errs, &description);
    if (val_failed(r, errs))
        goto out;
    st_rc st = ws_create(r->user->user.id, r->user->user.name, name,
                         description ? description : "", &w);
    reply_workspace(r, 201, st, &w);
out:
    free(name);
    free(description);
    json_decref(body);
    json_decref(errs);
}

void h_workspace_get(http_req *r)
{
    ws_row w;
    reply_workspace(r, 200, ws_get(req_param(r, 0), &w), &w);
}

void h_workspace_update(http_req *r)
{
    const char *wid = req_param(r, 0);
    json_t *body = NULL, *errs = json_object();
    char *name = NULL, *description = NULL;
    ws_row w;
    if (!(body = val_body(r)))
        goto out;
    val_decl_str(body, "WorkspaceUpdate", "name", errs, &name);
    val_decl_str(body, "WorkspaceUpdate", "description", errs, &description);
    if (val_failed(r, errs))
        goto out;
    reply_workspace(r, 200, ws_update(wid, name, description, &w), &w);
out:
    free(name);
    free(description);
    json_decref(body);
    json_decref(errs);
}

void h_workspace_delete(http_req *r)
{
    st_rc st = ws_delete(req_param(r, 0));
    if (st != ST_OK) {
        api_store_error(r, st, MSG_WS_NOT_FOUND);
        return;
    }
    idx_drop(req_param(r, 0));      /* other nodes' copies leave with the budget */
    resp_data(r, 200, json_pack("{s:s}", "message", "Workspace deleted successfully"));
}

/* Loads the service stats of the route's workspace. */
static int service_stats(http_req *r, int64_t now, ws_stats *s)
{
    st_rc st = ws_service_stats(req_param(r, 0), now, s);
    if (st != ST_OK) {
        api_store_error(r, st, MSG_WS_NOT_FOUND);
        return -1;
    }
    return 0;
}

void h_workspace_stats(http_req *r)
{
    ws_stats s;
    if (service_stats(r, time_now_us(), &s) == 0)
        resp_data(r, 200, service_stats_json(&s));
}

/* The 24-point series of §7.3: targets every 5 minutes up to now; each
 * takes the nearest snapshot closer than 5 minutes (first wins ties), else
 * the previous point's value (the current load for the first point). */
static json_t *neural_series(const char *wid, int64_t now, int current, st_rc *st)
{
    load_point *snaps = NULL;
    size_t n = 0;
    *st = load_snapshots(wid, now - 24 * FIVE_MIN_US, &snaps, &n);
    if (*st != ST_OK)
        return NULL;
    json_t *series = json_array();
    int prev = current;
    for (int i = 0; i < 24; i++) {
        int64_t t = now - (int64_t)(23 - i) * FIVE_MIN_US;
        int64_t best = -1;
        int value = prev;
        for (size_t k = 0; k < n; k++) {
            int64_t dist = llabs(snaps[k].timestamp - t);
            if (dist < FIVE_MIN_US && (best < 0 || dist < best)) {
                best = dist;
                value = snaps[k].value;
            }
        }
        if (n == 0)
            value = current;
        prev = value;
        series = json_push(series, json_pack("{s:o,s:i}", "timestamp", json_ts_offset(t),
                                             "value", value));
    }
    free(snaps);
    return series;
}

void h_workspace_dashboard(http_req *r)
{
    int64_t now = time_now_us();
    ws_stats s;
    st_rc st;
    activity_row *acts = NULL;
    size_t nacts = 0;
    if (service_stats(r, now, &s) != 0)
        return;
    json_t *series = neural_series(req_param(r, 0), now, s.load, &st);
    if (series)
        st = activity_list(req_param(r, 0), (page){ 10, 0 }, &acts, &nacts);
    if (st != ST_OK) {
        json_decref(series);
        api_store_error(r, st, NULL);
        return;
    }
    json_t *recent = json_array();
    for (size_t i = 0; i < nacts; i++)
        recent = json_push(recent, activity_json(&acts[i]));
    activity_rows_free(acts, nacts);
    resp_data(r, 200, json_pack("{s:o,s:o,s:o}", "stats", service_stats_json(&s),
                                "neuralLoad", series, "recentActivity", recent));
}

/* ?limit for activity is clamped (1..100, default 10) rather than refused:
 * the original answered 500 to bad values and clients send anything. */
static int64_t activity_limit(http_req *r)
{
    const char *v = req_query(r, "limit");
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 10;
    if (!v || *end || end == v)
        return 10;
    return n < 1 ? 1 : n > 100 ? 100 : n;
}

static json_t *activity_item(const void *row)
{
    return activity_json(row);
}

void h_workspace_activity(http_req *r)
{
    activity_row *acts = NULL;
    size_t n = 0;
    const char *off = req_query(r, "offset");
    page pg = { activity_limit(r), off ? strtoll(off, NULL, 10) : 0 };
    if (pg.offset < 0)
        pg.offset = 0;
    st_rc st = activity_list(req_param(r, 0), pg, &acts, &n);
    api_reply_list(r, st, "activities", acts, n, sizeof *acts, activity_item, (int64_t)n);
    activity_rows_free(acts, n);
}

void h_workspace_neural_load(http_req *r)
{
    int64_t now = time_now_us();
    ws_stats s;
    st_rc st;
    if (service_stats(r, now, &s) != 0)
        return;
    json_t *series = neural_series(req_param(r, 0), now, s.load, &st);
    if (!series) {
        api_store_error(r, st, NULL);
        return;
    }
    resp_data(r, 200, json_pack("{s:o,s:i}", "neuralLoad", series, "currentLoad", s.load));
}

void h_workspace_record_load(http_req *r)
{
    int value = 0;
    st_rc st = load_record(req_param(r, 0), time_now_us(), &value);
    if (st != ST_OK)
        api_store_error(r, st, MSG_WS_NOT_FOUND);
    else
        resp_data(r, 200, json_pack("{s:i,s:s}", "currentLoad", value,
                                    "message", "Load snapshot recorded"));
}
