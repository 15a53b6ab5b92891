/* tokens.h — refresh-token bookkeeping, login sessions and revocation
 * (API.md D4, issue 16): every refresh token is recorded when issued, with
 * the login session (JWT claim sid) it belongs to; rotation and logout
 * revoke by JWT id; logout also ends the access token's whole session;
 * revoked access tokens and ended sessions are recorded until their tokens
 * expire. */
#ifndef CHIMERA_STORE_TOKENS_H
#define CHIMERA_STORE_TOKENS_H

#include "store/store.h"

#include <stdint.h>

/* Records an issued refresh token of session sid. */
st_rc token_record_refresh(const char *jti, const char *user_id, const char *sid,
                           int64_t exp_us);

/* Rotation in one transaction: revokes old_jti (which must be an active
 * refresh token of user_id in a live session sid) and records new_jti in
 * the same session. ST_NOT_FOUND when the old token is unknown, revoked or
 * not this user's, or the session has ended. */
st_rc token_rotate(const char *old_jti, const char *user_id, const char *sid,
                   const char *new_jti, int64_t new_exp_us);

typedef struct token_logout_job {
    const char *user_id;
    const char *access_jti;     /* the presented access token */
    int64_t access_exp_us;
    const char *sid;            /* its session; "" for tokens without one */
    int64_t session_exp_us;     /* when every token of the session has expired */
    const char *refresh_jti;    /* from the body, or NULL */
} token_logout_job;

/* Logout in one transaction: revokes the access token, ends its session
 * (every refresh token of it, rotations included, and every access token
 * of it from then on) and, when refresh_jti is not NULL, revokes that
 * refresh token of the same user. ST_CONFLICT = the refresh token was
 * already revoked; ST_NOT_FOUND = it is unknown or another user's. Nothing
 * is changed on failure. */
st_rc token_logout(const token_logout_job *job);

/* Deletes bookkeeping rows whose token expired before now_us. */
st_rc token_purge_expired(int64_t now_us);

#endif
