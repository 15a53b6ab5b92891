/* account.h — per-user settings, manual cleanup and account deletion
 * (API.md §9). */
#ifndef CHIMERA_STORE_ACCOUNT_H
#define CHIMERA_STORE_ACCOUNT_H

#include "store/users.h"

typedef struct cleanup_counts {
    int64_t workspaces, conversations, memories, messages;
} cleanup_counts;

/* Stores autoStore (when auto_store >= 0) and/or the retention period
 * (when not NULL); fills out with the updated user. */
st_rc account_set_retention(const char *user_id, int auto_store, const char *period,
                            user_row *out);

/* Deletes every workspace user_id owns (with all their contents), counting
 * first, in one transaction. Memberships elsewhere are untouched. */
st_rc account_cleanup(const char *user_id, cleanup_counts *out);

/* Deletes the user and everything that cascades from it (owned workspaces,
 * memberships, invitations, integrations, tokens) in one transaction. */
st_rc account_delete(const char *user_id);

#endif
