/* errmsg.h — filling a caller's error buffer (char *err, size_t errsz), the
 * convention of the leaf libraries (embedders, model files, tokenizer). */
#ifndef CHIMERA_UTIL_ERRMSG_H
#define CHIMERA_UTIL_ERRMSG_H

#include <stddef.h>

/* snprintf into err; nothing when err is NULL or errsz is 0. */
void set_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
