/* netaddr.c — see netaddr.h. The tables list the IANA special-purpose
 * registries' ranges that must never be fetched on a user's behalf. */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct v4_range { uint32_t net; int bits; } v4_range;

static const v4_range V4_SPECIAL[] = {
    { 0x00000000, 8 },      /* 0.0.0.0/8 "this network" */
    { 0x0A000000, 8 },      /* 10/8 private */
    { 0x64400000, 10 },     /* 100.64/10 carrier-grade NAT */
    { 0x7F000000, 8 },      /* 127/8 loopback */
    { 0xA9FE0000, 16 },     /* 169.254/16 link-local (cloud metadata) */
    { 0xAC100000, 12 },     /* 172.16/12 private */
    { 0xC0000000, 24 },     /* 192.0.0/24 protocol assignments */
    { 0xC0000200, 24 },     /* 192.0.2/24 documentation */
    { 0xC0586300, 24 },     /* 192.88.99/24 6to4 relay */
    { 0xC0A80000, 16 },     /* 192.168/16 private */
    { 0xC6120000, 15 },     /* 198.18/15 benchmarking */
    { 0xC6336400, 24 },     /* 198.51.100/24 documentation */
    { 0xCB007100, 24 },     /* 203.0.113/24 documentation */
    { 0xE0000000, 4 },      /* 224/4 multicast */
    { 0xF0000000, 4 },      /* 240/4 reserved, and the broadcast address */
};

static bool v4_public(uint32_t a)
{
    for (size_t i = 0; i < sizeof V4_SPECIAL / sizeof V4_SPECIAL[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - V4_SPECIAL[i].bits);
        if ((a & mask) == V4_SPECIAL[i].net)
            return false;
    }
    return true;
}

static uint32_t v4_at(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool prefix_is(const uint8_t *a, const uint8_t *p, int bits)
{
    int bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, p, (size_t)bytes) != 0)
        return false;
    return rest == 0 || ((a[bytes] ^ p[bytes]) & (0xFF << (8 - rest))) == 0;
}

static bool v6_public(const uint8_t *a)
{
    static const uint8_t zero[16], mapped[12] = { [10] = 0xFF, [11] = 0xFF };
    static const uint8_t nat64[12] = { 0x00, 0x64, 0xFF, 0x9B };
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return v4_public(v4_at(a + 12));        /* judged by the IPv4 inside */
    if (prefix_is(a, zero, 96))
        return false;                           /* ::, ::1, IPv4-compatible */
    static const struct { uint8_t p[4]; int bits; } special[] = {
        { { 0xFC }, 7 },                        /* fc00::/7 unique local */
        { { 0xFE, 0x80 }, 10 },                 /* fe80::/10 link-local */
        { { 0xFE, 0xC0 }, 10 },                 /* fec0::/10 site-local (old) */
        { { 0xFF }, 8 },                        /* ff00::/8 multicast */
        { { 0x20, 0x01, 0x0D, 0xB8 }, 32 },     /* 2001:db8::/32 documentation */
        { { 0x20, 0x01, 0x00, 0x00 }, 32 },     /* 2001::/32 Teredo */
        { { 0x20, 0x02 }, 16 },                 /* 2002::/16 6to4 (wraps IPv4) */
        { { 0x01, 0x00 }, 64 },                 /* 100::/64 discard */
    };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        uint8_t p[16] = { 0 };
        memcpy(p, special[i].p, sizeof special[i].p);
        if (prefix_is(a, p, special[i].bits))
            return false;
    }
    return true;
}

bool net_addr_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_public(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return v6_public(in6->sin6_addr.s6_addr);
    }
    return false;
}

void net_addr_text(const struct sockaddr *sa, char *out, size_t outsz)
{
    const void *a = NULL;
    if (sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)outsz))
        snprintf(out, outsz, "?");
}
