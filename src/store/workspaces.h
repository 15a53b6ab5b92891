/* workspaces.h — workspaces, their members, and the caller's role in one.
 * Rows own their strings; free them with the matching *_free(). */
#ifndef CHIMERA_STORE_WORKSPACES_H
#define CHIMERA_STORE_WORKSPACES_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef enum ws_role {
    ROLE_NONE = 0,          /* not a member */
    ROLE_OBSERVER,
    ROLE_RESEARCHER,
    ROLE_ADMIN,
    ROLE_OWNER,             /* workspace.owner_id (also has an admin row) */
} ws_role;

/* "admin" | "researcher" | "observer" → role; ROLE_NONE for anything else. */
ws_role ws_role_parse(const char *s);

typedef struct member_row {
    char id[24];
    char user_id[40];
    char workspace_id[40];
    char role[16];
    char status[16];
    int64_t joined_at;
    char *name;
    char *email;
} member_row;

typedef struct ws_row {
    char id[40];
    char *name;
    char *description;
    char owner_id[40];
    int64_t created_at, updated_at;
    int64_t memories, embeddings, conversations;    /* counters (simple stats) */
    int64_t last_activity;
    member_row *members;
    size_t nmembers;
} ws_row;

typedef struct ws_list {
    ws_row *items;
    size_t n;
    int64_t total;          /* all rows, also when paged */
} ws_list;

typedef struct page {
    int64_t limit;          /* 0 = everything */
    int64_t offset;
} page;

void member_row_free(member_row *m);
void ws_row_free(ws_row *w);
void ws_list_free(ws_list *l);

/* The caller's role in workspace wid: ST_NOT_FOUND when the workspace does
 * not exist; *role = ROLE_NONE for non-members. */
st_rc ws_access(const char *wid, const char *user_id, ws_role *role);

/* Workspaces user_id owns or belongs to, updatedAt desc, with members and
 * counters: two queries whatever the number of workspaces. */
st_rc ws_list_for_user(const char *user_id, page pg, ws_list *out);

st_rc ws_get(const char *wid, ws_row *out);

/* Ids of the workspaces user_id can access (owner or member), most
 * recently updated first, at most max. */
st_rc ws_ids_for_user(const char *user_id, char (*ids)[40], size_t max, size_t *n);

/* Creates the workspace, the creator's admin membership and the
 * team_member_added activity in one transaction. */
st_rc ws_create(const char *owner_id, const char *owner_name, const char *name,
                const char *description, ws_row *out);

/* Applies name and/or description (NULL = keep) and bumps updated_at. */
st_rc ws_update(const char *wid, const char *name, const char *description, ws_row *out);

st_rc ws_delete(const char *wid);

#endif
