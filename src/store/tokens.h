/* tokens.h — refresh-token bookkeeping and revocation (API.md D4): every
 * refresh token is recorded when issued; rotation and logout revoke by JWT
 * id; revoked access tokens are recorded until they expire. */
#ifndef CHIMERA_STORE_TOKENS_H
#define CHIMERA_STORE_TOKENS_H

#include "store/store.h"

#include <stdint.h>

/* Records an issued refresh token. */
st_rc token_record_refresh(const char *jti, const char *user_id, int64_t exp_us);

/* Rotation in one transaction: revokes old_jti (which must be an active
 * refresh token of user_id) and records new_jti. ST_NOT_FOUND when the old
 * token is unknown, revoked or not this user's. */
st_rc token_rotate(const char *old_jti, const char *user_id, const char *new_jti,
                   int64_t new_exp_us);

/* Logout in one transaction: revokes the access token and, when
 * refresh_jti is not NULL, that refresh token of the same user.
 * ST_CONFLICT = the refresh token was already revoked; ST_NOT_FOUND = it is
 * unknown or another user's. Nothing is changed on failure. */
st_rc token_logout(const char *user_id, const char *access_jti, int64_t access_exp_us,
                   const char *refresh_jti);

/* Deletes bookkeeping rows whose token expired before now_us. */
st_rc token_purge_expired(int64_t now_us);

#endif
