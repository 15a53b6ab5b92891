/* token.c — see token.h. */
#include "auth/token.h"

#include "util/ids.h"

#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX_LEN 4096

static unsigned char *tok_key;
static size_t tok_keylen;

int token_set_key(const char *key, size_t len)
{
    unsigned char *k = malloc(len ? len : 1);
    if (!k)
        return -1;
    memcpy(k, key, len);
    free(tok_key);
    tok_key = k;
    tok_keylen = len;
    return 0;
}

static const char *type_name(tok_type t)
{
    return t == TOK_ACCESS ? "access" : "refresh";
}

char *token_issue(tok_type type, const char *user_id, int64_t now_s, int64_t ttl_s,
                  tok_claims *c)
{
    jwt_t *jwt = NULL;
    char *copy = NULL;
    memset(c, 0, sizeof *c);
    c->type = type;
    snprintf(c->user_id, sizeof c->user_id, "%s", user_id);
    id_hex(c->jti, 32);
    c->iat = now_s;
    c->exp = now_s + ttl_s;
    if (!tok_key || jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_add_grant(jwt, "token_type", type_name(type)) ||
        jwt_add_grant_int(jwt, "exp", (long)c->exp) ||
        jwt_add_grant_int(jwt, "iat", (long)c->iat) ||
        jwt_add_grant(jwt, "jti", c->jti) ||
        jwt_add_grant(jwt, "user_id", user_id) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, tok_key, (int)tok_keylen))
        goto out;
    copy = jwt_encode_str(jwt);     /* malloc'd by libjwt 1.x: free() */
out:
    jwt_free(jwt);
    return copy;
}

/* Copies a string claim into dst; fails if missing, empty or too long. */
static int claim_str(jwt_t *jwt, const char *name, char *dst, size_t dstsz)
{
    const char *v = jwt_get_grant(jwt, name);
    if (!v || !*v || strlen(v) >= dstsz)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

tok_rc token_verify(const char *token, int64_t now_s, tok_claims *c)
{
    jwt_t *jwt = NULL;
    tok_rc rc = TOK_INVALID;
    char type[16];
    memset(c, 0, sizeof *c);
    if (!tok_key || !token || strlen(token) > TOKEN_MAX_LEN)
        return TOK_INVALID;
    if (jwt_decode(&jwt, token, tok_key, (int)tok_keylen) != 0 || !jwt)
        return TOK_INVALID;
    /* libjwt verifies with the header's alg; we accept exactly one. */
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        goto out;
    if (claim_str(jwt, "token_type", type, sizeof type) ||
        claim_str(jwt, "user_id", c->user_id, sizeof c->user_id) ||
        claim_str(jwt, "jti", c->jti, sizeof c->jti))
        goto out;
    if (strcmp(type, "access") == 0)
        c->type = TOK_ACCESS;
    else if (strcmp(type, "refresh") == 0)
        c->type = TOK_REFRESH;
    else
        goto out;
    errno = 0;
    c->exp = jwt_get_grant_int(jwt, "exp");
    if (errno)
        goto out;
    c->iat = jwt_get_grant_int(jwt, "iat");
    if (errno || !id_is_uuid(c->user_id))
        goto out;
    rc = c->exp > now_s ? TOK_OK : TOK_EXPIRED;
out:
    jwt_free(jwt);
    return rc;
}
