/* fernet.h — Fernet tokens (the spec used by Python's `cryptography`):
 * version 0x80, 64-bit timestamp, 128-bit IV, AES-128-CBC with PKCS7,
 * HMAC-SHA256 over all of it, urlsafe base64 with padding. Keys are the
 * 32-byte urlsafe-base64 keys of that library, so secrets encrypted by an
 * existing deployment decrypt unchanged. Leaf module: OpenSSL + libsodium. */
#ifndef CHIMERA_AUTH_FERNET_H
#define CHIMERA_AUTH_FERNET_H

#include <stddef.h>
#include <stdint.h>

typedef struct fernet_key {
    unsigned char sign[16];
    unsigned char enc[16];
} fernet_key;

/* Parses a urlsafe-base64 key (44 characters). Returns 0 or -1. */
int fernet_key_parse(const char *b64, fernet_key *key);

/* Writes a fresh random key as urlsafe base64 (out >= 45 bytes). */
void fernet_key_generate(char out[45]);

/* Encrypts len bytes with the given timestamp (seconds) and IV (16 bytes;
 * NULL = random). Returns a NUL-terminated token the caller frees with
 * free(), or NULL on failure. The explicit time/IV exist for the spec's
 * test vectors; production callers use fernet_encrypt(). */
char *fernet_encrypt_at(const fernet_key *key, const unsigned char *msg,
                        size_t len, uint64_t now, const unsigned char *iv);
char *fernet_encrypt(const fernet_key *key, const unsigned char *msg, size_t len);

/* Verifies and decrypts a token. ttl = 0 disables the age check; otherwise
 * a token older than ttl seconds (relative to now) fails. On success
 * returns 0 and sets *out (caller frees, NUL-terminated for convenience)
 * and *outlen; returns -1 on any failure (bad base64, version, HMAC,
 * padding, age), FERNET_NO_MEMORY when memory ran out before the token
 * could be judged. */
#define FERNET_NO_MEMORY (-2)
int fernet_decrypt_at(const fernet_key *key, const char *token, uint64_t ttl,
                      uint64_t now, unsigned char **out, size_t *outlen);
int fernet_decrypt(const fernet_key *key, const char *token,
                   unsigned char **out, size_t *outlen);

#endif
