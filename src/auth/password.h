/* password.h — Argon2id password hashes (libsodium's crypto_pwhash_str),
 * cost from config. Hashes are self-describing, so raising the cost later
 * keeps old hashes verifiable. */
#ifndef CHIMERA_AUTH_PASSWORD_H
#define CHIMERA_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 128   /* crypto_pwhash_STRBYTES */

/* Sets the cost used by password_hash(). */
void password_set_cost(unsigned long long opslimit, size_t memlimit);

/* Hashes pw; returns 0 or -1 (out of memory). */
int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);

/* Constant-time verification against a stored hash. */
bool password_verify(const char *hash, const char *pw, size_t len);

/* Spends the same time as a verification, for unknown accounts, so login
 * timing does not reveal whether an email is registered. */
void password_verify_dummy(const char *pw, size_t len);

#endif
