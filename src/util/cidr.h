/* cidr.h — IP addresses and networks (CIDR) for the trusted-proxy list and
 * per-address connection counts. Every address is kept in IPv6 form, IPv4
 * as its IPv4-mapped twin (::ffff:a.b.c.d), so one comparison serves both
 * families and a mapped peer matches an IPv4 network. Leaf code: no server
 * state. A cidr_list owns its array (cidr_list_free). */
#ifndef CHIMERA_UTIL_CIDR_H
#define CHIMERA_UTIL_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for any address as text, IPv6 included. */
#define IP_TEXT_MAX 46

typedef struct ip_addr { uint8_t b[16]; } ip_addr;

typedef struct cidr {
    ip_addr net;                /* host bits cleared */
    int bits;                   /* prefix over the 128-bit form (IPv4 /n = 96 + n) */
} cidr;

typedef struct cidr_list {
    cidr *v;
    size_t n;
} cidr_list;

/* One address as text, exactly (no port, brackets, zone or spaces);
 * false if s[0..len) is not one. */
bool ip_parse(const char *s, size_t len, ip_addr *out);

/* The address of an AF_INET or AF_INET6 socket address; false otherwise. */
bool ip_from_sockaddr(const struct sockaddr *sa, ip_addr *out);

/* The address as text; IPv4 (and IPv4-mapped IPv6) as dotted quad. */
void ip_text(const ip_addr *a, char *out, size_t outsz);

bool ip_equal(const ip_addr *a, const ip_addr *b);

/* True for 127.0.0.0/8 (also IPv4-mapped) and ::1. */
bool ip_is_loopback(const ip_addr *a);

/* "10.0.0.0/8", "fd00::/8", or one address (a /32 or /128). Host bits past
 * the prefix are ignored. Returns 0, or -1 with *why saying what is wrong. */
int cidr_parse(const char *s, size_t len, cidr *out, const char **why);

bool cidr_match(const cidr *c, const ip_addr *a);

/* A comma-separated list (spaces around items allowed). NULL or "" gives
 * an empty list. Returns 0, or -1 with a message in why (which item, why)
 * and out left empty. */
int cidr_list_parse(const char *text, cidr_list *out, char *why, size_t whysz);

bool cidr_list_match(const cidr_list *l, const ip_addr *a);

void cidr_list_free(cidr_list *l);

#endif
