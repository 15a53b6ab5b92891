/* token.c — see token.h. */
#include "auth/token.h"

#include "util/fault.h"
#include "util/ids.h"
#include "util/oom.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX_LEN 4096

static unsigned char *tok_key;
static size_t tok_keylen;

int token_set_key(const char *key, size_t len)
{
    token_cache_clear();    /* a new key invalidates what the old one verified */
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

char *token_issue(tok_type type, const char *user_id, const char *sid, int64_t now_s,
                  int64_t ttl_s, tok_claims *c)
{
    jwt_t *jwt = NULL;
    char *copy = NULL;
    memset(c, 0, sizeof *c);
    c->type = type;
    snprintf(c->user_id, sizeof c->user_id, "%s", user_id);
    snprintf(c->sid, sizeof c->sid, "%s", sid);
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
        (*c->sid && jwt_add_grant(jwt, "sid", c->sid)) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, tok_key, (int)tok_keylen))
        goto out;
    /* malloc'd by libjwt 1.x: free(). Its encoder passes a failed
     * json_dumps_whole() on to strlen(): no injected fault inside it. */
    fault_pause();
    copy = jwt_encode_str(jwt);
    fault_resume();
out:
    jwt_free(jwt);
    return copy;
}

/* Copies a string claim into dst; fails if missing, empty, not a string
 * or too long. */
static int claim_str(json_t *claims, const char *name, char *dst, size_t dstsz)
{
    json_t *v = json_object_get(claims, name);
    const char *s = json_string_value(v);
    if (!s || !*s || json_string_length(v) >= dstsz)
        return -1;
    memcpy(dst, s, json_string_length(v) + 1);
    return 0;
}

/* Reads the payload's claims with their JSON types checked. */
static tok_rc read_claims(jwt_t *jwt, tok_claims *c)
{
    char *text = jwt_get_grants_json(jwt, NULL);
    json_t *claims = text ? json_parse(text, strlen(text), 0, NULL) : NULL;
    char type[16];
    tok_rc rc = TOK_INVALID;
    free(text);
    if (!json_is_object(claims) ||
        claim_str(claims, "token_type", type, sizeof type) ||
        claim_str(claims, "user_id", c->user_id, sizeof c->user_id) ||
        claim_str(claims, "jti", c->jti, sizeof c->jti) ||
        !json_is_integer(json_object_get(claims, "exp")) ||
        !json_is_integer(json_object_get(claims, "iat")))
        goto out;
    /* sid is optional (tokens issued before sessions), but typed when present */
    if (json_object_get(claims, "sid") && claim_str(claims, "sid", c->sid, sizeof c->sid))
        goto out;
    c->exp = (int64_t)json_integer_value(json_object_get(claims, "exp"));
    c->iat = (int64_t)json_integer_value(json_object_get(claims, "iat"));
    if (strcmp(type, "access") == 0)
        c->type = TOK_ACCESS;
    else if (strcmp(type, "refresh") == 0)
        c->type = TOK_REFRESH;
    else
        goto out;
    if (id_is_uuid(c->user_id))
        rc = TOK_OK;
out:
    json_decref(claims);
    return rc;
}

/* Verified tokens are cached per thread: a client presents the same token
 * for hours, and signature checks plus JSON parsing dominate an
 * authenticated read otherwise. Only exact strings that verified are kept;
 * expiry is still checked on every use, revocation by the caller. */
#define TOK_CACHE 64

typedef struct tok_cached {
    char *token;
    size_t len;
    tok_claims claims;
} tok_cached;

static _Thread_local tok_cached tok_cache[TOK_CACHE];
static pthread_key_t tok_key_exit;
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;

/* Thread exit: the destructor frees the exiting thread's entries. */
static void tok_cache_exit(void *arg)
{
    (void)arg;
    token_cache_clear();
}

static void tok_once_init(void)
{
    pthread_key_create(&tok_key_exit, tok_cache_exit);
}

static size_t tok_slot(const char *token, size_t len)
{
    uint64_t h = 1469598103934665603ULL;        /* FNV-1a over the signature */
    for (size_t i = len > 43 ? len - 43 : 0; i < len; i++)
        h = (h ^ (unsigned char)token[i]) * 1099511628211ULL;
    return (size_t)(h % TOK_CACHE);
}

static const tok_claims *tok_cache_get(const char *token, size_t len)
{
    const tok_cached *e = &tok_cache[tok_slot(token, len)];
    if (e->token && e->len == len && memcmp(e->token, token, len) == 0)
        return &e->claims;
    return NULL;
}

static void tok_cache_put(const char *token, size_t len, const tok_claims *c)
{
    tok_cached *e = &tok_cache[tok_slot(token, len)];
    pthread_once(&tok_once, tok_once_init);
    if (!pthread_getspecific(tok_key_exit))
        pthread_setspecific(tok_key_exit, tok_cache);
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, token, len + 1);
    free(e->token);
    e->token = copy;
    e->len = len;
    e->claims = *c;
}

static tok_rc token_verify_uncached(const char *token, int64_t now_s, tok_claims *c);

tok_rc token_verify(const char *token, int64_t now_s, tok_claims *c)
{
    size_t len = token ? strlen(token) : 0;
    const tok_claims *hit = len && len <= TOKEN_MAX_LEN ? tok_cache_get(token, len) : NULL;
    if (hit) {
        *c = *hit;
        return c->exp > now_s ? TOK_OK : TOK_EXPIRED;
    }
    tok_rc rc = token_verify_uncached(token, now_s, c);
    if (rc == TOK_OK)
        tok_cache_put(token, len, c);
    return rc;
}

void token_cache_clear(void)
{
    for (size_t i = 0; i < TOK_CACHE; i++) {
        free(tok_cache[i].token);
        tok_cache[i].token = NULL;
    }
}

static tok_rc token_verify_uncached(const char *token, int64_t now_s, tok_claims *c)
{
    jwt_t *jwt = NULL;
    tok_rc rc = TOK_INVALID;
    memset(c, 0, sizeof *c);
    if (!tok_key || !token || strlen(token) > TOKEN_MAX_LEN)
        return TOK_INVALID;
    unsigned long oom = oom_failures();
    fault_pause();      /* libjwt parses with jansson: see json_parse() */
    int err = jwt_decode(&jwt, token, tok_key, (int)tok_keylen);
    fault_resume();
    if (err == 0 && jwt) {
        /* libjwt verifies with the header's alg; we accept exactly one. */
        if (jwt_get_alg(jwt) == JWT_ALG_HS256 && read_claims(jwt, c) == TOK_OK)
            rc = c->exp > now_s ? TOK_OK : TOK_EXPIRED;
        jwt_free(jwt);
    }
    if (rc == TOK_INVALID && (err == ENOMEM || oom_failures() != oom))
        rc = TOK_NO_MEMORY;
    return rc;
}
