/* settings.c — settings, memory retention, cleanup and account deletion
 * (API.md §9). All per user: there is no other user's data to reach. */
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "http/response.h"
#include "store/account.h"
#include "util/isotime.h"

#include <stdlib.h>
#include <string.h>

#define DAY_US 86400000000LL

static const struct { const char *name; int days; } PERIODS[] = {
    { "7-days", 7 }, { "30-days", 30 }, { "90-days", 90 },
    { "indefinite-84", 84 }, { "indefinite-forever", 0 },
};

/* Days of a retention period: 0 = forever, -1 = not a period. */
static int period_days(const char *name)
{
    for (size_t i = 0; i < sizeof PERIODS / sizeof PERIODS[0]; i++)
        if (strcmp(PERIODS[i].name, name) == 0)
            return PERIODS[i].days;
    return -1;
}

void h_settings_get(http_req *r)
{
    resp_data(r, 200, settings_json(&r->user->user));
}

static void reply_settings(http_req *r, st_rc st, user_row *u)
{
    if (st == ST_CONFLICT) {
        resp_error(r, 400, "Email already exists");
        return;
    }
    if (st != ST_OK) {
        api_store_error(r, st, "User not found");
        return;
    }
    resp_data(r, 200, settings_json(u));
    user_row_free(u);
}

void h_settings_profile(http_req *r)
{
    json_t *body = val_body(r), *errs = json_object();
    char *name = NULL, *email = NULL;
    user_row u = { 0 };
    if (!body)
        goto out;
    /* Empty values are ignored (the frontend always sends both fields). */
    if (val_truthy(json_object_get(body, "name")))
        val_decl_str(body, "ProfileUpdate", "name", errs, &name);
    if (val_truthy(json_object_get(body, "email")))
        val_decl_str(body, "ProfileUpdate", "email", errs, &email);
    if (val_failed(r, errs))
        goto out;
    if (email && strcmp(email, r->user->user.email) == 0) {
        free(email);
        email = NULL;
    }
    reply_settings(r, user_update_profile(r->user->user.id, name, email, &u), &u);
out:
    free(name);
    free(email);
    json_decref(body);
    json_decref(errs);
}

void h_settings_retention(http_req *r)
{
    json_t *body = val_body(r), *errs = json_object();
    bool auto_store = false;
    int has_auto = 0;
    user_row u = { 0 };
    if (!body)
        goto out;
    json_t *period = json_object_get(body, "retentionPeriod");
    const char *p = json_string_value(period);
    if (period && !json_is_null(period) && val_truthy(period) &&
        (!p || period_days(p) < 0)) {
        resp_error(r, 400, "Invalid retention period. Must be one of: 7-days, 30-days, "
                           "90-days, indefinite-84, indefinite-forever");
        goto out;
    }
    has_auto = val_decl_bool(body, "RetentionUpdate", "autoStore", errs, &auto_store);
    if (val_failed(r, errs))
        goto out;
    reply_settings(r, account_set_retention(r->user->user.id, has_auto > 0 ? auto_store : -1,
                                            p && *p ? p : NULL, &u), &u);
out:
    json_decref(body);
    json_decref(errs);
}

void h_settings_cleanup_info(http_req *r)
{
    const user_row *u = &r->user->user;
    int days = period_days(u->retention);
    if (days <= 0) {
        resp_data(r, 200, json_pack("{s:n,s:n,s:n,s:n,s:n,s:b,s:s}", "cleanup_date",
                                    "days_remaining", "hours_remaining", "minutes_remaining",
                                    "total_seconds_remaining", "is_indefinite", 1,
                                    "retention_period", u->retention));
        return;
    }
    /* First instant date_joined + k·period (k >= 1) strictly after now. */
    int64_t now = time_now_us(), step = (int64_t)days * DAY_US;
    int64_t k = (now - u->created_at) / step + 1;
    if (k < 1)
        k = 1;
    int64_t when = u->created_at + k * step;
    int64_t secs = (when - now) / 1000000;
    resp_data(r, 200, json_pack("{s:o,s:I,s:I,s:I,s:I,s:b,s:s}",
                                "cleanup_date", json_ts_offset(when),
                                "days_remaining", (json_int_t)(secs / 86400),
                                "hours_remaining", (json_int_t)(secs % 86400 / 3600),
                                "minutes_remaining", (json_int_t)(secs % 3600 / 60),
                                "total_seconds_remaining", (json_int_t)secs,
                                "is_indefinite", 0, "retention_period", u->retention));
}

void h_settings_cleanup(http_req *r)
{
    cleanup_counts c = { 0 };
    st_rc st = account_cleanup(r->user->user.id, &c);
    if (st != ST_OK) {
        resp_error(r, 500, "Failed to cleanup data");
        return;
    }
    resp_data(r, 200, json_pack("{s:I,s:I,s:I,s:I,s:o}",
                                "workspaces_deleted", (json_int_t)c.workspaces,
                                "conversations_deleted", (json_int_t)c.conversations,
                                "memories_deleted", (json_int_t)c.memories,
                                "messages_deleted", (json_int_t)c.messages,
                                "cleanup_time", json_ts_offset(time_now_us())));
}

void h_account_delete(http_req *r)
{
    if (account_delete(r->user->user.id) != ST_OK) {
        resp_error(r, 500, "Failed to delete account");
        return;
    }
    resp_data(r, 200, json_pack("{s:s}", "message", "Account successfully deleted"));
}
