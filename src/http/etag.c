/* etag.c — see etag.h. */
#include "http/etag.h"

#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((etag_hash *)0)->state),
               "etag_hash too small for crypto_generichash_state");

static crypto_generichash_state *state_of(etag_hash *h)
{
    return (crypto_generichash_state *)(void *)h->state;
}

void etag_begin(etag_hash *h)
{
    crypto_generichash_init(state_of(h), NULL, 0, ETAG_DIGEST);
}

void etag_add(etag_hash *h, const void *p, size_t n)
{
    crypto_generichash_update(state_of(h), p, n);
}

void etag_add_str(etag_hash *h, const char *s)
{
    static const unsigned char none = 0xff;
    if (s)
        etag_add(h, s, strlen(s) + 1);
    else
        etag_add(h, &none, 1);
}

void etag_add_int(etag_hash *h, long long v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((unsigned long long)v >> (8 * i));
    etag_add(h, b, sizeof b);
}

void etag_end(etag_hash *h, char out[ETAG_MAX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[ETAG_DIGEST];
    crypto_generichash_final(state_of(h), d, sizeof d);
    char *p = out;
    *p++ = '"';
    for (size_t i = 0; i < sizeof d; i++) {
        *p++ = hex[d[i] >> 4];
        *p++ = hex[d[i] & 15];
    }
    *p++ = '"';
    *p = '\0';
}

/* etagc = %x21 / %x23-7E / obs-text (%x80-FF) */
static bool etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

bool etag_matches(const char *inm, const char *etag)
{
    if (!inm || !etag)
        return false;
    const char *p = skip_ows(inm);
    if (*p == '*')
        return *skip_ows(p + 1) == '\0';
    size_t want = strlen(etag);
    bool found = false, any = false;
    /* #entity-tag: empty list elements are allowed, every tag must parse */
    while (*p) {
        if (*p == ',') {
            p = skip_ows(p + 1);
            continue;
        }
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false;
        const char *start = p++;
        while (etagc((unsigned char)*p))
            p++;
        if (*p != '"')
            return false;
        p++;
        any = true;
        if ((size_t)(p - start) == want && memcmp(start, etag, want) == 0)
            found = true;
        p = skip_ows(p);
        if (*p && *p != ',')
            return false;
    }
    return any && found;
}
