/* fuzz_jwt.c — libFuzzer target for src/auth/token.c: any string as a
 * bearer token. Only a token this key signed with HS256 and well-typed
 * claims may verify; a verified token verifies again from the per-thread
 * cache with the same claims. Built and run by tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "fuzz-signing-key-0123456789abcdef"
#define NOW INT64_C(1765174680)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        assert(token_set_key(KEY, strlen(KEY)) == 0);
        ready = 1;
    }
    char *tok = malloc(size + 1);
    if (!tok)
        return 0;
    memcpy(tok, data, size);
    tok[size] = '\0';
    tok_claims a, b;
    tok_rc rc = token_verify(tok, NOW, &a);
    if (rc == TOK_OK) {
        assert(a.type == TOK_ACCESS || a.type == TOK_REFRESH);
        assert(*a.user_id && *a.jti && a.exp > NOW);
        assert(token_verify(tok, NOW, &b) == TOK_OK);
        assert(memcmp(&a, &b, sizeof a) == 0);
    }
    free(tok);
    return 0;
}
