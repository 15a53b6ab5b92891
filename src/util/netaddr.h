/* netaddr.h — is an address on the public internet? Used by import-url
 * (API.md D10) on every address it is about to connect to, so a URL (or a
 * redirect, or a DNS answer) cannot reach loopback, private, link-local,
 * multicast or otherwise special networks of the server's side. */
#ifndef CHIMERA_UTIL_NETADDR_H
#define CHIMERA_UTIL_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* True for a globally routable unicast IPv4 or IPv6 address; false for
 * every special-purpose range (RFC 6890 and successors), IPv4-mapped and
 * NAT64 forms of those, and any other address family. */
bool net_addr_public(const struct sockaddr *sa);

/* The address as text ("10.0.0.1", "::1"); "?" for other families. */
void net_addr_text(const struct sockaddr *sa, char *out, size_t outsz);

#endif
