/* stamps.h — change stamps (migration 005): counters that every write moves
 * in its own transaction, per workspace and per user and per kind of data,
 * so a conditional GET learns whether what it shows changed without
 * building it. Moved by the store's write functions; read by the
 * dispatcher with the token check (store/probe.h). */
#ifndef CHIMERA_STORE_STAMPS_H
#define CHIMERA_STORE_STAMPS_H

#include "db/db.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* What a workspace holds (bits). */
enum {
    WS_META = 1 << 0,           /* the workspace row: name, description, updatedAt */
    WS_TEAM = 1 << 1,           /* members, their roles, statuses, names */
    WS_CONVS = 1 << 2,          /* conversations, messages, injections */
    WS_MEMS = 1 << 3,           /* memories */
    WS_ACTS = 1 << 4,           /* activity records */
    WS_KINDS = 5,
};

/* What is a user's own (bits). */
enum {
    U_PROFILE = 1 << 0,         /* name, email */
    U_SETTINGS = 1 << 1,        /* memory retention */
    U_INTEGRATIONS = 1 << 2,    /* integrations, and so the models offered */
    U_INVITATIONS = 1 << 3,     /* the pending invitations they received */
    U_WORKSPACES = 1 << 4,      /* which workspaces they see */
    U_KINDS = 5,
};

/* ---- moving stamps (inside the caller's write transaction) ------------- */
/* Sets the bits of kinds on: the workspace wid; the workspace of
 * conversation cid; the user uid. */
st_rc stamp_ws(db *d, const char *wid, unsigned kinds);
st_rc stamp_ws_of_conv(db *d, const char *cid, unsigned kinds);
st_rc stamp_user(db *d, const char *uid, unsigned kinds);
/* Every workspace uid owns or belongs to. */
st_rc stamp_ws_of_user(db *d, const char *uid, unsigned kinds);
/* Every user who sees workspace wid (owner and members). */
st_rc stamp_users_of_ws(db *d, const char *wid, unsigned kinds);
/* Every user with a pending invitation to wid / from inviter uid: their
 * inbox shows the workspace's name and the inviter's name and email. */
st_rc stamp_invitees_of_ws(db *d, const char *wid);
st_rc stamp_invitees_of_inviter(db *d, const char *uid);

/* Before the workspaces uid owns are deleted: everyone who saw them
 * (uid too) and whoever holds a pending invitation to one. */
st_rc stamp_owned_ws_gone(db *d, const char *uid);

#endif
