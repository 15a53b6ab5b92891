/* ids.h — identifiers of API.md §1.7: UUID v4 for users and JWT ids, and
 * "<prefix>-" + 12 lowercase hex for everything else, all from libsodium's
 * CSPRNG. Callers pass their own buffers; nothing here allocates. */
#ifndef CHIMERA_UTIL_IDS_H
#define CHIMERA_UTIL_IDS_H

#include <stddef.h>
#include <stdbool.h>

#define ID_UUID_LEN 36          /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
#define ID_MAX 48               /* room for the longest prefixed id + NUL */

/* Writes a lowercase hyphenated UUID v4 and a NUL into out (>= 37 bytes). */
void id_uuid4(char out[ID_UUID_LEN + 1]);

/* Writes "<prefix>-<12 hex>" into out; returns 0, or -1 if it does not fit. */
int id_prefixed(const char *prefix, char *out, size_t outsz);

/* Writes n random lowercase hex characters and a NUL (out >= n + 1 bytes). */
void id_hex(char *out, size_t n);

/* True if s is a lowercase or uppercase hyphenated UUID (any version). */
bool id_is_uuid(const char *s);

#endif
