/* serialize.h — JSON shapes of API.md §4, built from store rows. Each
 * returns a new reference. */
#ifndef CHIMERA_API_SERIALIZE_H
#define CHIMERA_API_SERIALIZE_H

#include "http/request.h"
#include "store/activity.h"
#include "store/invitations.h"
#include "store/load.h"
#include "store/users.h"
#include "store/workspaces.h"

#include "util/jsonw.h"

#include <jansson.h>
#include <stdint.h>

/* "2025-12-08T06:18:00.123456Z" */
json_t *json_ts(int64_t us);
/* "2025-12-08T06:18:00.123456+00:00" (isoformat style) */
json_t *json_ts_offset(int64_t us);

/* User: {id, name, email, avatar, createdAt} */
json_t *user_json(const user_row *u);

/* Writers for the hot shapes (see util/jsonw.h). */
void jw_ts(jsonw *w, int64_t us);

/* TeamMember: {id, userId, workspaceId, role, status, joinedAt, user{…}} */
void write_member(jsonw *w, const member_row *m);

/* Workspace with members and the embedded (simple) stats of §7.1. */
void write_workspace(jsonw *w, const ws_row *ws);

/* WorkspaceStats with the service formulas of §7.2. */
json_t *service_stats_json(const ws_stats *s);

/* Invitation as the invitee's inbox shows it. */
json_t *invitation_json(const invitation_row *i);

/* ActivityItem: {id, type, message, timestamp, metadata} */
json_t *activity_json(const activity_row *a);

/* Settings: {profile{name,email}, memoryRetention{autoStore,retentionPeriod}} */
json_t *settings_json(const user_row *u);

/* Parses stored JSON text; an empty object when it is not valid JSON, NULL
 * when out of memory. */
json_t *json_from_text(const char *text);

/* The answer of a list route: 200 {key: [item(row) for the n rows], "total":
 * total}, or the store's failure st. rows holds n elements of size bytes;
 * item converts one (a one-line adapter from the row's own type). The
 * caller still frees the rows. */
typedef json_t *(*api_item_fn)(const void *row);
void api_reply_list(http_req *r, st_rc st, const char *key, const void *rows, size_t n,
                    size_t size, api_item_fn item, int64_t total);

/* The strings of a JSON array as a NULL-terminated list pointing into it
 * (the list is malloc'd, the strings are the array's); NULL when out of
 * memory. Non-strings give NULL entries. */
const char **json_string_list(const json_t *arr);

#endif
