/* secrets.h — encryption of stored provider keys with ENCRYPTION_KEY
 * (Fernet, D9) and their masking in responses (API.md §12). */
#ifndef CHIMERA_API_SECRETS_H
#define CHIMERA_API_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

/* Parses the Fernet key once at start-up. Returns 0 or -1. */
int secrets_init(const char *fernet_key_b64);

/* Returns a Fernet token for plain (caller frees), NULL on failure. */
char *secrets_encrypt(const char *plain);

/* Returns the plain key (caller frees, wipe with secrets_wipe), NULL when
 * the token does not decrypt with our key or, *no_memory then set (when
 * not NULL), when memory ran out. */
char *secrets_decrypt(const char *token, bool *no_memory);

/* Zeroes and frees a plain secret. */
void secrets_wipe(char *plain);

/* "sk-...xyz": first 3 + "..." + last 3 characters; "***" for keys shorter
 * than 6 characters or that do not decrypt. Writes into out (SECRETS_MASK_MAX). */
#define SECRETS_MASK_MAX 40
void secrets_mask(const char *token, char *out, size_t outsz);

#endif
