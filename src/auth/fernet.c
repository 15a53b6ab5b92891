/* fernet.c — Fernet tokens (github.com/fernet/spec, as produced by Python's
 * `cryptography`): 0x80 ‖ timestamp ‖ IV ‖ AES-128-CBC(PKCS7) ‖ HMAC-SHA256,
 * urlsafe base64 with padding. Tokens and plaintexts returned here are
 * malloc'd and owned by the caller (free()). Requires sodium_init() for the
 * random IVs and keys. Leaf module: OpenSSL (AES, HMAC) + libsodium. */
#include "auth/fernet.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#define FERNET_VERSION   0x80
#define FERNET_TS_LEN    8
#define FERNET_IV_LEN    16
#define FERNET_HDR_LEN   (1 + FERNET_TS_LEN + FERNET_IV_LEN)
#define FERNET_BLOCK     16
#define FERNET_MAC_LEN   32
#define FERNET_KEY_LEN   32
#define FERNET_KEY_B64   44
/* Smallest token: header, one block (PKCS7 always pads), HMAC. */
#define FERNET_MIN_RAW   (FERNET_HDR_LEN + FERNET_BLOCK + FERNET_MAC_LEN)
/* Tokens dated further than this ahead of "now" are rejected (the spec's
 * clock-skew rule; applied, as in `cryptography`, only with a ttl). */
#define FERNET_MAX_SKEW  60
/* Upper bounds that keep every size computation far from overflow (and
 * within OpenSSL's int lengths). Secrets stored with Fernet are small. */
#define FERNET_MAX_MSG   (16u * 1024 * 1024)
#define FERNET_MAX_TOKEN ((FERNET_MAX_MSG + FERNET_MIN_RAW) / 3 * 4 + 8)

#define B64_URL sodium_base64_VARIANT_URLSAFE

/* ---- small helpers ----------------------------------------------------- */

static void fernet_put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t fernet_get_be64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Returns a malloc'd, NUL-terminated urlsafe base64 (padded) of bin. */
static char *fernet_b64_encode(const unsigned char *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, B64_URL);
    char *s = malloc(cap);

    if (s != NULL)
        sodium_bin2base64(s, cap, bin, len, B64_URL);
    return s;
}

/* Strictly decodes padded urlsafe base64 (no whitespace, nothing after the
 * padding) into a malloc'd buffer. Returns 0, -1 or FERNET_NO_MEMORY. */
static int fernet_b64_decode(const char *s, size_t slen,
                             unsigned char **out, size_t *outlen)
{
    size_t cap = slen / 4 * 3 + 3;
    unsigned char *bin = malloc(cap);

    if (bin == NULL)
        return FERNET_NO_MEMORY;
    if (sodium_base642bin(bin, cap, s, slen, NULL, outlen, NULL, B64_URL) != 0) {
        free(bin);
        return -1;
    }
    *out = bin;
    return 0;
}

static int fernet_hmac(const fernet_key *key, const unsigned char *data,
                       size_t len, unsigned char mac[FERNET_MAC_LEN])
{
    unsigned int maclen = 0;

    if (HMAC(EVP_sha256(), key->sign, sizeof key->sign, data, len, mac,
             &maclen) == NULL || maclen != FERNET_MAC_LEN)
        return -1;
    return 0;
}

/* AES-128-CBC with PKCS7 in either direction; out must hold len + 16
 * bytes. Returns 0 and sets *outlen, or -1 (including bad padding). */
static int fernet_cbc(const fernet_key *key, const unsigned char *iv,
                      int encrypt, const unsigned char *in, size_t len,
                      unsigned char *out, size_t *outlen)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, rc = -1;

    if (ctx == NULL || len > FERNET_MAX_MSG + FERNET_BLOCK)
        goto out;
    if (EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, key->enc, iv,
                          encrypt) != 1)
        goto out;
    if (EVP_CipherUpdate(ctx, out, &n1, in, (int)len) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + n1, &n2) != 1)
        goto out;
    *outlen = (size_t)n1 + (size_t)n2;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* ---- keys -------------------------------------------------------------- */

int fernet_key_parse(const char *b64, fernet_key *key)
{
    unsigned char raw[FERNET_KEY_LEN];
    size_t len = 0;

    if (b64 == NULL || key == NULL || strlen(b64) != FERNET_KEY_B64)
        return -1;
    if (sodium_base642bin(raw, sizeof raw, b64, FERNET_KEY_B64, NULL, &len,
                          NULL, B64_URL) != 0 || len != sizeof raw) {
        sodium_memzero(raw, sizeof raw);
        return -1;
    }
    memcpy(key->sign, raw, sizeof key->sign);
    memcpy(key->enc, raw + sizeof key->sign, sizeof key->enc);
    sodium_memzero(raw, sizeof raw);
    return 0;
}

void fernet_key_generate(char out[45])
{
    unsigned char raw[FERNET_KEY_LEN];

    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, FERNET_KEY_B64 + 1, raw, sizeof raw, B64_URL);
    sodium_memzero(raw, sizeof raw);
}

/* ---- encrypt ----------------------------------------------------------- */

char *fernet_encrypt_at(const fernet_key *key, const unsigned char *msg,
                        size_t len, uint64_t now, const unsigned char *iv)
{
    unsigned char *raw = NULL;
    char *token = NULL;
    size_t ctlen = 0, rawlen;

    if (key == NULL || (msg == NULL && len > 0) || len > FERNET_MAX_MSG)
        return NULL;
    raw = malloc(FERNET_HDR_LEN + len + FERNET_BLOCK + FERNET_MAC_LEN);
    if (raw == NULL)
        goto out;
    raw[0] = FERNET_VERSION;
    fernet_put_be64(raw + 1, now);
    if (iv != NULL)
        memcpy(raw + 1 + FERNET_TS_LEN, iv, FERNET_IV_LEN);
    else
        randombytes_buf(raw + 1 + FERNET_TS_LEN, FERNET_IV_LEN);
    if (fernet_cbc(key, raw + 1 + FERNET_TS_LEN, 1, msg, len,
                   raw + FERNET_HDR_LEN, &ctlen) != 0)
        goto out;
    rawlen = FERNET_HDR_LEN + ctlen;
    if (fernet_hmac(key, raw, rawlen, raw + rawlen) != 0)
        goto out;
    token = fernet_b64_encode(raw, rawlen + FERNET_MAC_LEN);
out:
    free(raw);
    return token;
}

char *fernet_encrypt(const fernet_key *key, const unsigned char *msg, size_t len)
{
    return fernet_encrypt_at(key, msg, len, (uint64_t)time(NULL), NULL);
}

/* ---- decrypt ----------------------------------------------------------- */

/* Structure and signature of a decoded token, before anything is trusted. */
static bool fernet_authentic(const fernet_key *key, const unsigned char *raw,
                             size_t rawlen)
{
    unsigned char mac[FERNET_MAC_LEN];
    size_t body;

    if (rawlen < FERNET_MIN_RAW || raw[0] != FERNET_VERSION ||
        (rawlen - FERNET_HDR_LEN - FERNET_MAC_LEN) % FERNET_BLOCK != 0)
        return false;
    body = rawlen - FERNET_MAC_LEN;
    if (fernet_hmac(key, raw, body, mac) != 0)
        return false;
    return sodium_memcmp(mac, raw + body, FERNET_MAC_LEN) == 0;
}

/* ttl = 0: no age limit and no skew rule (as `cryptography` with ttl=None). */
static bool fernet_time_ok(uint64_t ts, uint64_t ttl, uint64_t now)
{
    if (ttl == 0)
        return true;
    if (now > ts && now - ts > ttl)
        return false;
    if (ts > now && ts - now > FERNET_MAX_SKEW)
        return false;
    return true;
}

int fernet_decrypt_at(const fernet_key *key, const char *token, uint64_t ttl,
                      uint64_t now, unsigned char **out, size_t *outlen)
{
    unsigned char *raw = NULL, *pt = NULL;
    size_t rawlen = 0, ctlen, ptlen = 0, tlen;
    int rc = -1;

    if (out != NULL)
        *out = NULL;
    if (key == NULL || token == NULL || out == NULL || outlen == NULL)
        return -1;
    tlen = strnlen(token, FERNET_MAX_TOKEN + 1);
    if (tlen > FERNET_MAX_TOKEN)
        goto out;
    if ((rc = fernet_b64_decode(token, tlen, &raw, &rawlen)) != 0)
        goto out;                       /* -1 or FERNET_NO_MEMORY */
    rc = -1;
    if (!fernet_authentic(key, raw, rawlen) ||
        !fernet_time_ok(fernet_get_be64(raw + 1), ttl, now))
        goto out;
    ctlen = rawlen - FERNET_HDR_LEN - FERNET_MAC_LEN;
    pt = malloc(ctlen + FERNET_BLOCK + 1);
    if (pt == NULL)
        rc = FERNET_NO_MEMORY;
    if (pt == NULL || fernet_cbc(key, raw + 1 + FERNET_TS_LEN, 0,
                                 raw + FERNET_HDR_LEN, ctlen, pt, &ptlen) != 0)
        goto out;
    pt[ptlen] = '\0';
    *out = pt;
    *outlen = ptlen;
    pt = NULL;
    rc = 0;
out:
    if (pt != NULL) {
        sodium_memzero(pt, ctlen + FERNET_BLOCK + 1);
        free(pt);
    }
    free(raw);
    return rc;
}

int fernet_decrypt(const fernet_key *key, const char *token,
                   unsigned char **out, size_t *outlen)
{
    return fernet_decrypt_at(key, token, 0, (uint64_t)time(NULL), out, outlen);
}
