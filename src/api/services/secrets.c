/* secrets.c — see secrets.h. */
#include "api/services/secrets.h"

#include "auth/fernet.h"
#include "util/utf8.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fernet_key key;
static int key_ready;

int secrets_init(const char *b64)
{
    key_ready = b64 && fernet_key_parse(b64, &key) == 0;
    return key_ready ? 0 : -1;
}

char *secrets_encrypt(const char *plain)
{
    return key_ready ? fernet_encrypt(&key, (const unsigned char *)plain, strlen(plain)) : NULL;
}

char *secrets_decrypt(const char *token, bool *no_memory)
{
    unsigned char *out = NULL;
    size_t len = 0;
    int rc = key_ready && token ? fernet_decrypt(&key, token, &out, &len) : -1;
    if (no_memory)
        *no_memory = rc == FERNET_NO_MEMORY;
    if (rc != 0)
        return NULL;
    if (memchr(out, '\0', len)) {       /* not a text key */
        sodium_memzero(out, len);
        free(out);
        return NULL;
    }
    return (char *)out;
}

void secrets_wipe(char *plain)
{
    if (plain) {
        sodium_memzero(plain, strlen(plain));
        free(plain);
    }
}

void secrets_mask(const char *token, char *out, size_t outsz)
{
    char *plain = secrets_decrypt(token, NULL);
    size_t len = plain ? strlen(plain) : 0;
    size_t chars = plain && utf8_valid(plain, len) ? utf8_count(plain, len) : 0;
    if (chars < 6) {
        snprintf(out, outsz, "***");
    } else {
        /* first and last three characters, never a split UTF-8 sequence */
        size_t head = utf8_prefix(plain, len, 3), tail = utf8_prefix(plain, len, chars - 3);
        snprintf(out, outsz, "%.*s...%s", (int)head, plain, plain + tail);
    }
    secrets_wipe(plain);
}
