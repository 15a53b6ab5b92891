/* ids.c — random identifiers (API.md §1.7): UUID v4 strings and
 * "<prefix>-<12 hex>" ids, drawn from libsodium's CSPRNG. The caller owns
 * every output buffer; nothing here allocates. Requires sodium_init(). */
#include "util/ids.h"

#include <string.h>
#include <sodium.h>

static const char ids_hexdigits[] = "0123456789abcdef";

/* Writes the two lowercase hex digits of b at out[0..1]. */
static void ids_put_byte(char *out, unsigned char b)
{
    out[0] = ids_hexdigits[b >> 4];
    out[1] = ids_hexdigits[b & 0x0f];
}

void id_uuid4(char out[ID_UUID_LEN + 1])
{
    unsigned char b[16];
    size_t pos = 0;

    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    for (size_t i = 0; i < sizeof b; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[pos++] = '-';
        ids_put_byte(out + pos, b[i]);
        pos += 2;
    }
    out[pos] = '\0';
    sodium_memzero(b, sizeof b);
}

void id_hex(char *out, size_t n)
{
    unsigned char b[32];
    size_t done = 0;

    while (done < n) {
        size_t want = (n - done + 1) / 2;
        if (want > sizeof b)
            want = sizeof b;
        randombytes_buf(b, want);
        for (size_t i = 0; i < want && done < n; i++) {
            out[done++] = ids_hexdigits[b[i] >> 4];
            if (done < n)
                out[done++] = ids_hexdigits[b[i] & 0x0f];
        }
    }
    out[n] = '\0';
    sodium_memzero(b, sizeof b);
}

/* Resource ids are public names, not secrets: they come from a small
 * per-thread pool of CSPRNG bytes, one getrandom call per ~40 ids instead
 * of one per id (system calls are what a write costs most here). */
static void ids_pooled(unsigned char *b, size_t n)
{
    static _Thread_local unsigned char pool[256];
    static _Thread_local size_t avail;
    if (n > sizeof pool) {
        randombytes_buf(b, n);
        return;
    }
    if (avail < n) {
        randombytes_buf(pool, sizeof pool);
        avail = sizeof pool;
    }
    memcpy(b, pool + sizeof pool - avail, n);
    avail -= n;
}

int id_prefixed(const char *prefix, char *out, size_t outsz)
{
    size_t plen;

    if (prefix == NULL || out == NULL)
        return -1;
    plen = strlen(prefix);
    if (outsz < 1 || plen > outsz - 1 || outsz - 1 - plen < 13) {
        if (outsz > 0)
            out[0] = '\0';
        return -1;
    }
    memcpy(out, prefix, plen);
    out[plen] = '-';
    unsigned char b[6];
    ids_pooled(b, sizeof b);
    for (size_t i = 0; i < sizeof b; i++)
        ids_put_byte(out + plen + 1 + 2 * i, b[i]);
    out[plen + 13] = '\0';
    return 0;
}

static bool ids_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

bool id_is_uuid(const char *s)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < ID_UUID_LEN; i++) {
        bool dash = (i == 8 || i == 13 || i == 18 || i == 23);
        if (s[i] == '\0')
            return false;
        if (dash ? s[i] != '-' : !ids_is_hex(s[i]))
            return false;
    }
    return s[ID_UUID_LEN] == '\0';
}
