/* isotime.h — instants as int64 microseconds since the Unix epoch (UTC),
 * rendered as ISO-8601 the way API.md §1.6 describes. Pure functions. */
#ifndef CHIMERA_UTIL_ISOTIME_H
#define CHIMERA_UTIL_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISOTIME_MAX 40

/* Current wall-clock time in epoch microseconds. */
int64_t time_now_us(void);

/* Monotonic clock in microseconds (for durations). */
int64_t time_mono_us(void);

/* "2025-12-08T06:18:00.123456Z"; the fraction is omitted when the
 * microseconds are 0. Returns the length written (< ISOTIME_MAX). */
size_t time_iso_z(int64_t us, char out[ISOTIME_MAX]);

/* "2025-12-08T06:18:00.123456+00:00" (Python isoformat; fraction omitted
 * when 0). Returns the length written. */
size_t time_iso_offset(int64_t us, char out[ISOTIME_MAX]);

/* Parses an ISO-8601 instant with a zone ("Z" or "+HH:MM"/"-HH:MM"), an
 * optional fraction of 1..6 digits, 'T' or ' ' separator. Returns 0 and
 * sets *us, or -1 on anything else (zone-less strings are rejected). */
int time_parse_iso(const char *s, int64_t *us);

#endif
