/* cidr.c — see cidr.h. inet_pton does the address syntax: it takes only
 * dotted-quad decimal IPv4 (no octal, hex or short forms) and plain IPv6. */
#include "util/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t V4_MAPPED[12] = { [10] = 0xFF, [11] = 0xFF };

static bool ip_is_v4(const ip_addr *a)
{
    return memcmp(a->b, V4_MAPPED, sizeof V4_MAPPED) == 0;
}

static void ip_set_v4(ip_addr *out, const void *v4)
{
    memcpy(out->b, V4_MAPPED, sizeof V4_MAPPED);
    memcpy(out->b + 12, v4, 4);
}

bool ip_parse(const char *s, size_t len, ip_addr *out)
{
    char tmp[IP_TEXT_MAX];
    uint8_t v4[4];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, v4) == 1) {
        ip_set_v4(out, v4);
        return true;
    }
    return inet_pton(AF_INET6, tmp, out->b) == 1;
}

bool ip_from_sockaddr(const struct sockaddr *sa, ip_addr *out)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        ip_set_v4(out, &in->sin_addr);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(out->b, in6->sin6_addr.s6_addr, 16);
        return true;
    }
    return false;
}

void ip_text(const ip_addr *a, char *out, size_t outsz)
{
    const char *ok = ip_is_v4(a) ? inet_ntop(AF_INET, a->b + 12, out, (socklen_t)outsz)
                                 : inet_ntop(AF_INET6, a->b, out, (socklen_t)outsz);
    if (!ok && outsz)
        snprintf(out, outsz, "?");
}

bool ip_equal(const ip_addr *a, const ip_addr *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

bool ip_is_loopback(const ip_addr *a)
{
    static const uint8_t one[16] = { [15] = 1 };
    static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
    return memcmp(a->b, one, 16) == 0 || (memcmp(a->b, mapped, 12) == 0 && a->b[12] == 127);
}

/* Clears the bits of a past the first `bits`. */
static void mask_to(ip_addr *a, int bits)
{
    for (int i = 0; i < 16; i++) {
        int keep = bits - 8 * i;
        if (keep <= 0)
            a->b[i] = 0;
        else if (keep < 8)
            a->b[i] &= (uint8_t)(0xFF << (8 - keep));
    }
}

/* The digits after '/': 0..max, no sign, no spaces; -1 if not. */
static int prefix_len(const char *s, size_t len, int max)
{
    int v = 0;
    if (len == 0 || len > 3)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

int cidr_parse(const char *s, size_t len, cidr *out, const char **why)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    if (!ip_parse(s, alen, &out->net)) {
        *why = "not an IP address";
        return -1;
    }
    bool v4 = ip_is_v4(&out->net) && memchr(s, ':', alen) == NULL;
    int max = v4 ? 32 : 128;
    out->bits = 128;
    if (slash) {
        int p = prefix_len(slash + 1, len - alen - 1, max);
        if (p < 0) {
            *why = v4 ? "bad prefix length (0..32 for IPv4)" : "bad prefix length (0..128 for IPv6)";
            return -1;
        }
        out->bits = v4 ? 96 + p : p;
    }
    mask_to(&out->net, out->bits);
    return 0;
}

bool cidr_match(const cidr *c, const ip_addr *a)
{
    ip_addr m = *a;
    mask_to(&m, c->bits);
    return ip_equal(&m, &c->net);
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

int cidr_list_parse(const char *text, cidr_list *out, char *why, size_t whysz)
{
    out->v = NULL;
    out->n = 0;
    if (!text || !*text)
        return 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    out->v = calloc(cap, sizeof *out->v);
    if (!out->v) {
        snprintf(why, whysz, "out of memory");
        return -1;
    }
    for (const char *p = text;; p++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *item = p, *reason = "empty item";
        trim(&item, &len);
        if (len == 0 || cidr_parse(item, len, &out->v[out->n], &reason) != 0) {
            snprintf(why, whysz, "item %zu \"%.*s\": %s", out->n + 1, (int)(len > 64 ? 64 : len),
                     item, reason);
            cidr_list_free(out);
            return -1;
        }
        out->n++;
        if (!e)
            return 0;
        p = e;
    }
}

bool cidr_list_match(const cidr_list *l, const ip_addr *a)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (cidr_match(&l->v[i], a))
            return true;
    return false;
}

void cidr_list_free(cidr_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
