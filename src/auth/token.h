/* token.h — HS256 JWTs (libjwt) with the claims of API.md §1.8:
 * token_type, user_id, jti, iat, exp, plus sid, the login session every
 * token of one login shares (rotations included), so that logout can end
 * the whole session. Any other alg, `none` included, is refused. Leaf module: knows nothing of the database (revocation is
 * checked by the caller). */
#ifndef CHIMERA_AUTH_TOKEN_H
#define CHIMERA_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

typedef enum tok_type { TOK_ACCESS, TOK_REFRESH } tok_type;

typedef struct tok_claims {
    tok_type type;
    char user_id[40];
    char jti[40];
    char sid[40];       /* login session; "" in tokens issued before sessions */
    int64_t iat;        /* seconds */
    int64_t exp;        /* seconds */
} tok_claims;

/* TOK_NO_MEMORY: not decided (the server is out of memory), not invalid. */
typedef enum tok_rc { TOK_OK = 0, TOK_INVALID, TOK_EXPIRED, TOK_NO_MEMORY } tok_rc;

/* Copies the signing key (HS256 secret). Returns 0 or -1. */
int token_set_key(const char *key, size_t len);

/* Issues a token of type for user_id in session sid valid for ttl_s seconds
 * from now_s. Returns the JWT (caller frees with free()) and fills *claims,
 * or NULL. */
char *token_issue(tok_type type, const char *user_id, const char *sid, int64_t now_s,
                  int64_t ttl_s, tok_claims *claims);

/* Verifies signature, alg, claims and expiry at now_s. Tokens that
 * verified are remembered per thread, so a repeated token costs a lookup. */
tok_rc token_verify(const char *jwt, int64_t now_s, tok_claims *claims);

/* Forgets this thread's verified tokens (done by token_set_key() for the
 * calling thread; worker threads' entries die with them). */
void token_cache_clear(void);

#endif
