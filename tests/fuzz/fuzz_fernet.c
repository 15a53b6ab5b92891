/* fuzz_fernet.c — libFuzzer target for src/auth/fernet.c: any string as a
 * Fernet token (stored provider keys), and as a key. A token that decrypts
 * re-encrypts to one that decrypts to the same bytes. Built and run by
 * tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/fernet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key of the Fernet spec's test vectors. */
#define KEY "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fernet_key key, other;
    unsigned char *out = NULL, *again = NULL;
    size_t outlen = 0, againlen = 0;
    char *tok = malloc(size + 1);
    if (!tok)
        return 0;
    memcpy(tok, data, size);
    tok[size] = '\0';
    assert(fernet_key_parse(KEY, &key) == 0);
    (void)fernet_key_parse(tok, &other);
    if (fernet_decrypt_at(&key, tok, 0, 1765174680, &out, &outlen) == 0) {
        char *re = fernet_encrypt(&key, out, outlen);
        assert(re);
        assert(fernet_decrypt(&key, re, &again, &againlen) == 0);
        assert(againlen == outlen && memcmp(again, out, outlen) == 0);
        free(re);
        free(again);
        free(out);
    }
    free(tok);
    return 0;
}
