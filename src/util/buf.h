/* buf.h — a growable byte buffer with a hard maximum (curl's dynbuf idea):
 * appends fail cleanly past `max` instead of growing without bound. The
 * buffer owns p; buf_free() releases it, buf_steal() hands it over. */
#ifndef CHIMERA_UTIL_BUF_H
#define CHIMERA_UTIL_BUF_H

#include <stddef.h>

typedef struct buf {
    char *p;        /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;     /* 0 = unlimited */
} buf;

#define BUF_INIT(maxlen) { NULL, 0, 0, (maxlen) }

/* Each returns 0, or -1 on allocation failure or when max would be passed. */
int buf_append(buf *b, const void *data, size_t n);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the inside of a JSON string (escapes quotes, controls). */
int buf_json_str(buf *b, const char *s);

/* Returns the NUL-terminated contents (caller frees) and empties b. */
char *buf_steal(buf *b);
void buf_reset(buf *b);
void buf_free(buf *b);

#endif
