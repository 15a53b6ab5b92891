/* email.h — Django's EmailValidator rules (ASCII forms): a dot-atom or
 * quoted local part, then a dotted domain with a 2..63 character last
 * label, "localhost", or an IPv4/IPv6 literal in brackets. Pure function. */
#ifndef CHIMERA_UTIL_EMAIL_H
#define CHIMERA_UTIL_EMAIL_H

#include <stdbool.h>

bool email_valid(const char *s);

#endif
