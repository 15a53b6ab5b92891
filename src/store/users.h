/* users.h — user accounts. A user_row owns its strings; release it with
 * user_row_free(). */
#ifndef CHIMERA_STORE_USERS_H
#define CHIMERA_STORE_USERS_H

#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct user_row {
    char id[40];
    char *name;
    char *email;
    char *avatar;               /* NULL in practice */
    char *password;             /* hash; only filled by user_by_email() */
    bool auto_store;
    char retention[52];
    bool is_active;
    int64_t created_at;         /* date_joined, epoch µs */
} user_row;

void user_row_free(user_row *u);

/* Registration: inserts the user (username derived from the email's local
 * part, made unique with a numeric suffix) and, in the same transaction,
 * the first refresh token. ST_CONFLICT when the email is taken. */
st_rc user_create(const char *id, const char *name, const char *email, const char *pwhash,
                  const char *refresh_jti, const char *refresh_sid, int64_t refresh_exp_us,
                  user_row *out);

/* ST_CONFLICT when a user has exactly this email, ST_OK when none does. */
st_rc user_email_taken(const char *email);

/* Login lookup by exact email, with the password hash. */
st_rc user_by_email(const char *email, user_row *out);

st_rc user_get(const char *id, user_row *out);

/* Applies name and/or email (NULL = keep). ST_CONFLICT when the email
 * belongs to another user. Fills out with the updated row. */
st_rc user_update_profile(const char *id, const char *name, const char *email, user_row *out);

#endif
